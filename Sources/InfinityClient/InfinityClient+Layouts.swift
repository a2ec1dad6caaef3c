extension InfinityClient {
    /// The layouts this conference offers (`GET available_layouts`); non-string entries are skipped.
    /// - Parameters:
    ///   - node: The conference node.
    ///   - alias: The conference alias.
    ///   - token: The participant's current token.
    public func availableLayouts(
        node: NodeAddress,
        alias: String,
        token: String
    ) async throws(InfinityError)
        -> [String]
    {
        let response = try await send(
            Call(
                method: .GET,
                node: node,
                alias: alias,
                path: "available_layouts",
                endpoint: "available_layouts",
                token: token,
                pin: nil,
                body: nil,
                idempotent: true,
                timeout: nil
            )
        )
        let result = try Self.result(of: response, endpoint: "available_layouts")
        guard let items = result.arrayValue else {
            throw .badResponse("available_layouts: result is \(result.typeName), not an array")
        }
        return items.compactMap(\.stringValue)
    }

    /// Calls a new participant out (`dial`); returns the uuids of the participants the node created. Never
    /// retried on a 5xx: a second dial would call the destination twice.
    /// - Parameters:
    ///   - request: Whom to call, how, and with which role.
    ///   - node: The conference node.
    ///   - alias: The conference alias.
    ///   - token: The participant's current token (a host's).
    public func dial(
        _ request: DialRequest,
        node: NodeAddress,
        alias: String,
        token: String
    )
        async throws(InfinityError) -> [String]
    {
        let response = try await send(
            Call(
                method: .POST,
                node: node,
                alias: alias,
                path: "dial",
                endpoint: "dial",
                token: token,
                pin: nil,
                body: request.body,
                // A second dial would call the destination twice.
                idempotent: false,
                timeout: nil
            )
        )
        let result = try Self.result(of: response, endpoint: "dial")
        if let uuid = result.stringValue { return [uuid] }
        guard let items = result.arrayValue else {
            throw .badResponse("dial: result is \(result.typeName), not an array")
        }
        return items.compactMap(\.stringValue)
    }
}
