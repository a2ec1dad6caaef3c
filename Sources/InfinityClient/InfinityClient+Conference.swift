extension InfinityClient {
    /// The conference roster (`GET participants`); entries without a uuid are skipped.
    public func participants(
        node: NodeAddress,
        alias: String,
        token: String
    ) async throws(InfinityError)
        -> [InfinityParticipant]
    {
        let response = try await send(
            Call(
                method: .GET,
                node: node,
                alias: alias,
                path: "participants",
                endpoint: "participants",
                token: token,
                pin: nil,
                body: nil,
                idempotent: true,
                timeout: nil
            )
        )
        let result = try Self.result(of: response, endpoint: "participants")
        guard let items = result.arrayValue else {
            throw .badResponse("participants: result is \(result.typeName), not an array")
        }
        let participants = items.compactMap(InfinityParticipant.init(json:))
        if participants.count != items.count {
            logger.warning(
                "infinity participants without uuid skipped",
                metadata: ["infinity.skipped": "\(items.count - participants.count)"]
            )
        }
        return participants
    }

    /// Conference-wide state (`GET conference_status`).
    public func conferenceStatus(
        node: NodeAddress,
        alias: String,
        token: String
    ) async throws(InfinityError)
        -> InfinityConferenceStatus
    {
        let response = try await send(
            Call(
                method: .GET,
                node: node,
                alias: alias,
                path: "conference_status",
                endpoint: "conference_status",
                token: token,
                pin: nil,
                body: nil,
                idempotent: true,
                timeout: nil
            )
        )
        let result = try Self.result(of: response, endpoint: "conference_status")
        guard let status = InfinityConferenceStatus(json: result) else {
            throw .badResponse("conference_status: result is \(result.typeName), not an object")
        }
        return status
    }

    /// Sends a conference-level control call.
    public func perform(
        _ command: ConferenceCommand,
        node: NodeAddress,
        alias: String,
        token: String
    )
        async throws(InfinityError)
    {
        let response = try await send(
            Call(
                method: .POST,
                node: node,
                alias: alias,
                path: command.path,
                endpoint: command.path,
                token: token,
                pin: nil,
                body: command.body,
                idempotent: command.repeatable,
                timeout: nil
            )
        )
        _ = try Self.result(of: response, endpoint: command.path)
    }

    /// Sends a participant-level control call.
    public func perform(
        _ command: ParticipantCommand,
        participant uuid: String,
        node: NodeAddress,
        alias: String,
        token: String
    ) async throws(InfinityError) {
        let endpoint = "participants/*/\(command.path)"
        let response = try await send(
            Call(
                method: .POST,
                node: node,
                alias: alias,
                path: "participants/\(percentEncodedPathSegment(uuid))/\(command.path)",
                endpoint: endpoint,
                token: token,
                pin: nil,
                body: command.body,
                idempotent: command.repeatable,
                timeout: nil
            )
        )
        _ = try Self.result(of: response, endpoint: endpoint)
    }
}
