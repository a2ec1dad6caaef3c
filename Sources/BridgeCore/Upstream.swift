import InfinityClient
import Logging

/// The conference node as the core sees it; a protocol so that core tests can use a fake.
public protocol Upstream: Sendable {
    /// Asks for a token (`request_token`), with the `pin` header when given.
    func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?
    ) async throws(InfinityError) -> TokenRequestOutcome
    /// Asks for a token with the answers to the node's other challenges (and a `refer` one-time token).
    func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?,
        extras: TokenRequestExtras
    ) async throws(InfinityError) -> TokenRequestOutcome
    /// Finds the node for an alias's domain (DNS SRV `_pexapp._tcp.<domain>`, then the domain itself).
    func discoverNode(domain: String) async throws(InfinityError) -> NodeAddress
    /// Holds a granted token: refreshes it and follows the event stream.
    func connect(node: NodeAddress, alias: String, grant: TokenGrant) -> any UpstreamLink
    /// The same, asking `refreshPermit` before every refresh (a bridge with a store checks its lease there) and
    /// telling `tokenRefreshed` each new token before it is used (the store records it).
    func connect(
        node: NodeAddress,
        alias: String,
        grant: TokenGrant,
        refreshPermit: @escaping @Sendable () async -> Bool,
        tokenRefreshed: @escaping @Sendable (HeldToken) async -> Void
    ) -> any UpstreamLink
}

/// One held participant upstream.
public protocol UpstreamLink: Sendable {
    /// Events, health and the final `.ended`, in order.
    var updates: AsyncStream<ConnectionUpdate> { get }
    /// Refreshes the token and follows the event stream until the link has ended (released, closed or given up);
    /// every piece of that work is a child task of this call.
    func run() async
    /// A conference-level control.
    func perform(_ command: ConferenceCommand) async throws(InfinityError)
    /// A participant-level control.
    func perform(_ command: ParticipantCommand, participant: String) async throws(InfinityError)
    /// The layouts the conference offers (`GET available_layouts`).
    func availableLayouts() async throws(InfinityError) -> [String]
    /// Calls a new participant out (`dial`); returns the new participants' uuids.
    func dial(_ request: DialRequest) async throws(InfinityError) -> [String]
    /// Stops and releases the token upstream.
    func release() async
    /// Stops without releasing (the node already ended it).
    func close() async
    /// The token in use now, while running (a store keeps it so another process can take the session over).
    func heldToken() async -> HeldToken?
}

extension UpstreamLink {
    /// Links that cannot say (test fakes) hold nothing a store could hand over.
    public func heldToken() async -> HeldToken? { nil }
}

/// The real node, through `InfinityClient`.
public struct InfinityUpstream: Upstream {
    let client: InfinityClient
    let policy: ConnectionPolicy
    let logger: Logger

    public init(client: InfinityClient, policy: ConnectionPolicy = .init(), logger: Logger) {
        self.client = client
        self.policy = policy
        self.logger = logger
    }

    public func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?
    )
        async throws(InfinityError) -> TokenRequestOutcome
    {
        try await client.requestToken(node: node, alias: alias, displayName: displayName, pin: pin)
    }

    public func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?,
        extras: TokenRequestExtras
    )
        async throws(InfinityError) -> TokenRequestOutcome
    {
        try await client.requestToken(node: node, alias: alias, displayName: displayName, pin: pin, extras: extras)
    }

    public func discoverNode(domain: String) async throws(InfinityError) -> NodeAddress {
        try await client.discoverNode(domain: domain)
    }

    public func connect(node: NodeAddress, alias: String, grant: TokenGrant) -> any UpstreamLink {
        InfinityConnection(client: client, node: node, alias: alias, grant: grant, policy: policy, logger: logger)
    }

    public func connect(
        node: NodeAddress,
        alias: String,
        grant: TokenGrant,
        refreshPermit: @escaping @Sendable () async -> Bool,
        tokenRefreshed: @escaping @Sendable (HeldToken) async -> Void
    ) -> any UpstreamLink {
        InfinityConnection(
            client: client,
            node: node,
            alias: alias,
            grant: grant,
            policy: policy,
            logger: logger,
            refreshPermit: refreshPermit,
            tokenRefreshed: tokenRefreshed
        )
    }
}

extension InfinityConnection: UpstreamLink {}

extension Upstream {
    /// For upstreams whose links do not refresh (test fakes): the permit is never asked, no token is told.
    public func connect(
        node: NodeAddress,
        alias: String,
        grant: TokenGrant,
        refreshPermit: @escaping @Sendable () async -> Bool,
        tokenRefreshed: @escaping @Sendable (HeldToken) async -> Void
    ) -> any UpstreamLink {
        connect(node: node, alias: alias, grant: grant)
    }

    /// For upstreams that know no way in (test fakes): the extras are dropped.
    public func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?,
        extras: TokenRequestExtras
    ) async throws(InfinityError) -> TokenRequestOutcome {
        try await requestToken(node: node, alias: alias, displayName: displayName, pin: pin)
    }

    /// For upstreams without DNS (test fakes): the domain itself, over HTTPS.
    public func discoverNode(domain: String) async throws(InfinityError) -> NodeAddress {
        do {
            return try NodeAddress(host: domain)
        } catch {
            throw .unreachable("not a host name")
        }
    }
}
