import AsyncHTTPClient
import Locking
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Client for the Pexip Infinity Client REST API v2 (one per process; it pools connections per node).
public final class InfinityClient: Sendable {
    let configuration: InfinityClientConfiguration
    let logger: Logger
    /// The logger handed to AsyncHTTPClient: `logger` at `.info` or above. Below info, AHC logs every body part
    /// as hex bytes (a `request_token` answer, node token included) and every header (the `token` header), which
    /// would put secrets into a trace log.
    let httpLogger: Logger
    let http: HTTPClient
    /// Set when the configuration cannot be used (e.g. an unreadable trust-roots file); every call then fails.
    let setupFailure: String?
    /// Nodes exempted at run time (the embedded simulator, whose port is known only once it runs).
    private let exemptions = Mutex<Set<NodeAddress>>([])

    /// Creates a client; call `shutdown()` before dropping it.
    public init(configuration: InfinityClientConfiguration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var httpLogger = logger
        httpLogger.logLevel = max(logger.logLevel, .info)
        self.httpLogger = httpLogger

        var tls = TLSConfiguration.makeClientConfiguration()
        var setupFailure: String?
        if let path = configuration.trustRootsPEMFile {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(path)
                if certificates.isEmpty {
                    setupFailure = "no certificate in trust roots file \(path)"
                } else {
                    tls.additionalTrustRoots = [.certificates(certificates)]
                }
            } catch {
                setupFailure = "cannot read trust roots file \(path): \(error)"
            }
        }
        if let setupFailure {
            logger.error("infinity client misconfigured", metadata: ["infinity.error": "\(setupFailure)"])
        }
        self.setupFailure = setupFailure

        var http = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(configuration.connectTimeout), read: nil)
        )
        http.httpVersion = .http1Only
        http.connectionPool.retryConnectionEstablishment = false
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, configuration.maxConnectionsPerNode)
        self.http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: http,
            backgroundActivityLogger: httpLogger
        )
    }

    /// Always allows `node` (whatever `configuration.nodePolicy` says), e.g. the embedded simulator once its port
    /// is known.
    ///
    /// - Parameter node: The node to allow; matched on host and port.
    public func exempt(_ node: NodeAddress) {
        _ = exemptions.withLock { $0.insert(node) }
    }

    /// Refuses a node the configured policy does not allow, before anything is sent to it. A host that does not
    /// resolve is left to the connection attempt, which fails the same way.
    func checkNode(_ node: NodeAddress) async throws(InfinityError) {
        guard var policy = configuration.nodePolicy else { return }
        policy.exemptNodes.formUnion(exemptions.withLock { $0 })
        if policy.isListed(node) { return }
        let classes = await NodeAddressPolicy.resolve(node.host)
        guard classes.allSatisfy(policy.permits) else {
            logger.warning("infinity node refused by the node policy", metadata: ["infinity.node": "\(node)"])
            throw .nodeNotAllowed
        }
    }

    /// Closes every pooled connection; the client cannot be used afterwards.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: Requests

    /// One API call, described without secrets except in `token` and `pin`.
    struct Call: Sendable {
        var method: HTTPMethod
        var node: NodeAddress
        var alias: String
        /// Path below the conference, already percent-encoded (e.g. "participants/<uuid>/mute").
        var path: String
        /// Name used in logs (never includes ids that could be secret).
        var endpoint: String
        var token: String?
        var pin: String?
        var body: [UInt8]?
        var idempotent: Bool
        var timeout: Duration?
    }

    /// The raw answer of one call.
    struct RawResponse: Sendable {
        var status: Int
        var reason: String
        var body: [UInt8]
    }

    func url(_ node: NodeAddress, alias: String, path: String) -> String {
        "\(node.baseURL)/api/client/v2/conferences/\(percentEncodedPathSegment(alias))/\(path)"
    }

    func makeRequest(_ call: Call, accept: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(call.node, alias: call.alias, path: call.path))
        request.method = call.method
        request.headers.add(name: "user-agent", value: configuration.userAgent)
        request.headers.add(name: "accept", value: accept)
        if let token = call.token { request.headers.add(name: "token", value: token) }
        if let pin = call.pin { request.headers.add(name: "pin", value: pin) }
        if let body = call.body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        } else if call.method == .POST {
            request.headers.add(name: "content-length", value: "0")
        }
        return request
    }

    func metadata(_ call: Call) -> Logger.Metadata {
        var headers = ["user-agent", "accept"]
        if call.token != nil { headers.append("token=<redacted>") }
        if call.pin != nil { headers.append("pin=<redacted>") }
        return [
            "infinity.method": "\(call.method.rawValue)",
            "infinity.endpoint": "\(call.endpoint)",
            "infinity.node": "\(call.node)",
            "infinity.alias": "\(call.alias.escapedForLog())",
            "infinity.headers": "\(headers.joined(separator: ","))",
        ]
    }

    /// Statuses that say "the node (or its proxy) could not take this now": retried for idempotent calls.
    /// 529 is Infinity's "overloaded" answer (infinity-api.md §3).
    static let transientStatuses: Set<Int> = [502, 503, 504, 529]

    /// Sends a call, retrying 502/503/504/529 a bounded number of times when it is idempotent.
    func send(_ call: Call) async throws(InfinityError) -> RawResponse {
        try validateAlias(call.alias)
        try await checkNode(call.node)
        let attempts = call.idempotent ? 1 + max(0, configuration.retriesForIdempotent) : 1
        var attempt = 1
        while true {
            let response = try await sendOnce(call, attempt: attempt)
            guard Self.transientStatuses.contains(response.status), attempt < attempts else { return response }
            let delay = configuration.retryBackoff * attempt
            logger.debug(
                "infinity retrying after upstream error",
                metadata: metadata(call).merging(
                    [
                        "infinity.status": "\(response.status)", "infinity.attempt": "\(attempt)",
                        "infinity.delay": "\(delay)",
                    ],
                    uniquingKeysWith: { $1 }
                )
            )
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw .cancelled
            }
            attempt += 1
        }
    }

    private func sendOnce(_ call: Call, attempt: Int) async throws(InfinityError) -> RawResponse {
        do {
            return try await exchange(call, attempt: attempt)
        } catch let failure as StaleConnection {
            // A pooled keep-alive connection the node (or a proxy) had just closed: when nothing reached the node,
            // or the call only reads (GET), one more try on a fresh connection is safe and is what a browser does.
            // A POST that may have reached the node is not repeated: a second request_token would create a second
            // participant, a second refresh_token would present a token the first one already replaced.
            guard failure.nothingSent || call.method == .GET else { throw failure.mapped }
            logger.debug("infinity retrying on a fresh connection", metadata: metadata(call))
            do {
                return try await exchange(call, attempt: attempt)
            } catch {
                throw (error as? StaleConnection)?.mapped ?? Self.map(error)
            }
        } catch {
            throw Self.map(error)
        }
    }

    /// A request that failed on a connection closed under it (see `staleConnection(_:)`).
    struct StaleConnection: Error {
        var mapped: InfinityError
        /// True when the request could not even be written, so the node never saw it.
        var nothingSent: Bool
    }

    /// Whether `error` is what AsyncHTTPClient reports when a pooled connection turns out to be closed.
    static func staleConnection(_ error: any Error) -> StaleConnection? {
        if let channel = error as? ChannelError, channel == .ioOnClosedChannel {
            return StaleConnection(mapped: map(error), nothingSent: true)
        }
        if let client = error as? HTTPClientError, client == .remoteConnectionClosed {
            return StaleConnection(mapped: map(error), nothingSent: false)
        }
        return nil
    }

    /// One exchange; throws `StaleConnection` or an `InfinityError`.
    private func exchange(_ call: Call, attempt: Int) async throws -> RawResponse {
        if let setupFailure { throw InfinityError.unreachable(setupFailure) }
        let request = makeRequest(call, accept: "application/json")
        var logMetadata = metadata(call)
        logMetadata["infinity.attempt"] = "\(attempt)"
        logger.trace("infinity request", metadata: logMetadata)
        let started = ContinuousClock.now
        let timeout = call.timeout ?? configuration.requestTimeout
        let limit = configuration.maxResponseBytes
        let http = self.http
        let httpLogger = self.httpLogger
        do {
            // AHC's deadline does not bound the body, so the whole exchange runs under one timeout.
            let response = try await withTimeout(timeout) {
                let response = try await http.execute(request, timeout: TimeAmount(timeout), logger: httpLogger)
                let body = try await response.body.collect(upTo: limit)
                return RawResponse(
                    status: Int(response.status.code),
                    reason: response.status.reasonPhrase,
                    body: Array(buffer: body)
                )
            }
            let elapsed = ContinuousClock.now - started
            logMetadata["infinity.status"] = "\(response.status)"
            logMetadata["infinity.elapsed"] = "\(elapsed)"
            logger.debug("infinity response", metadata: logMetadata)
            configuration.requestObserver?(
                UpstreamRequestRecord(
                    endpoint: call.endpoint,
                    outcome: (200..<300).contains(response.status) ? "ok" : "http_\(response.status)",
                    duration: elapsed
                )
            )
            return response
        } catch {
            let mapped = Self.map(error)
            let elapsed = ContinuousClock.now - started
            logMetadata["infinity.error"] = "\(mapped.logDescription)"
            logMetadata["infinity.elapsed"] = "\(elapsed)"
            // At info: clients are told only the error's code, so this line is where the reason can be read.
            logger.info("infinity request failed", metadata: logMetadata)
            configuration.requestObserver?(
                UpstreamRequestRecord(
                    endpoint: call.endpoint,
                    outcome: mapped.outcomeName,
                    duration: elapsed
                )
            )
            throw Self.staleConnection(error) ?? mapped
        }
    }

    /// Maps a transport error to an `InfinityError`.
    static func map(_ error: any Error) -> InfinityError {
        if let error = error as? InfinityError { return error }
        if error is CancellationError { return .cancelled }
        if error is TimeoutReached { return .timeout }
        if error is NIOTooManyBytesError { return .badResponse("response body too large") }
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled: return .cancelled
            case .deadlineExceeded, .readTimeout, .writeTimeout: return Task.isCancelled ? .cancelled : .timeout
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return .unreachable("connection to the node timed out")
            case .remoteConnectionClosed: return .unreachable("the node closed the connection")
            default: return .unreachable(error.shortDescription)
            }
        }
        if Task.isCancelled { return .cancelled }
        if error is NIOSSLError || error is BoringSSLError {
            return .unreachable("TLS handshake failed: \(error)")
        }
        return .unreachable("\(error)")
    }

    // MARK: Response interpretation

    /// The `result` of a successful response, or the `InfinityError` its status and message mean.
    static func result(of response: RawResponse, endpoint: String) throws(InfinityError) -> JSONValue {
        let envelope = Envelope.decode(response.body)
        if (200..<300).contains(response.status) {
            guard let envelope else {
                if response.body.isEmpty { return .null }
                throw .badResponse("\(endpoint): answer is not an Infinity JSON envelope")
            }
            if let status = envelope.status?.lowercased(), status == "failed" || status == "failure" {
                throw .http(status: response.status, message: envelope.message ?? status)
            }
            return envelope.result
        }
        throw error(status: response.status, message: envelope?.message ?? response.reason)
    }

    /// The error an unsuccessful status and the node's message mean.
    static func error(status: Int, message: String) -> InfinityError {
        let normalized = message.trimmingWhitespace().lowercased()
        if (400..<500).contains(status), normalized == "invalid token" { return .invalidToken }
        if (400..<500).contains(status), normalized == "invalid role" { return .invalidRole }
        if status == 400, normalized == "illegal value" { return .illegalValue(message) }
        if status == 404 { return .notFound(message) }
        return .http(status: status, message: message)
    }
}
