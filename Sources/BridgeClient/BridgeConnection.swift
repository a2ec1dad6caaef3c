import BridgeProtocol
import HTTPTypes
import Locking
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import WSClient

/// Why a bridge connection failed.
public enum BridgeClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The WebSocket could not be opened.
    case connectFailed(String)
    /// The bridge closed the connection.
    case closed(code: Int?, reason: String?)
    /// No answer in time.
    case timeout
    /// The bridge sent something that is not a protocol message.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .connectFailed(let why): "cannot connect to the bridge: \(why)"
        case .closed(let code, let reason):
            "the bridge closed the connection (\(code.map(String.init) ?? "no close code")\(reason.map { ": \($0)" } ?? ""))"
        case .timeout: "the bridge did not answer in time"
        case .protocolViolation(let why): "unexpected message from the bridge: \(why)"
        }
    }
}

/// A WebSocket connection to a pexbridge, speaking the protocol of `BridgeProtocol`.
public final class BridgeConnection: Sendable {
    /// Something received after `hello`: a decoded message, a text frame that was not one, or a binary frame.
    public enum Incoming: Sendable {
        case message(ServerMessage)
        case undecodable(String)
        case binary(Int)
    }

    struct Waiter {
        var continuation: CheckedContinuation<Result<ResultData, ErrorBody>, any Error>
        var timer: Task<Void, Never>?
    }

    struct State {
        var outbound: WebSocketOutboundWriter?
        var hello: Hello?
        var waiters: [RequestID: Waiter] = [:]
        var nextID = 0
        var closeCode: Int?
        var closeReason: String?
        var finished = false
        var received: [String] = []
        var opened: CheckedContinuation<Void, any Error>?
        var openResult: Result<Void, BridgeClientError>?
        /// Callers of ``waitUntilClosed(timeout:)`` waiting for the end, by a number of their own.
        var closeWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextCloseWaiter = 0
    }

    /// The state shared by the connection and its socket task.
    final class Shared: Sendable {
        let mutex = Mutex(State())

        func withLock<R: Sendable>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    private let state: Shared
    /// Every message the bridge sends after `hello`, in order (results included).
    public let incoming: AsyncStream<Incoming>
    /// The bridge's greeting.
    public let hello: Hello
    private let task: Task<Void, Never>

    /// Connects, waits for `hello`, and authenticates when a token is given.
    ///
    /// For `wss://` URLs whose host is an IP address, pass `serverName`: the name the bridge's certificate
    /// carries, which is then verified and sent as SNI.
    ///
    /// - Parameters:
    ///   - url: The bridge's WebSocket URL, `ws://HOST:PORT/ws` or `wss://HOST:PORT/ws`.
    ///   - token: A client token; when given, `auth` is sent right after `hello` and a refusal throws.
    ///   - origin: An `Origin` header to send (browsers always send one; tools usually do not).
    ///   - subprotocol: A `Sec-WebSocket-Protocol` to ask for, e.g. `pexbridge.v1`.
    ///   - tlsConfiguration: TLS settings for `wss://` (trust roots, client certificates).
    ///   - serverName: The name to verify and send as SNI when the URL's host is an IP address.
    ///   - recordFrames: Keep every raw text frame in ``receivedFrames`` (for tests and tools that inspect the
    ///     wire; a long-lived connection should leave it off).
    ///   - maxFrameSize: The largest message accepted from the bridge, in bytes.
    ///   - timeout: How long to wait for the socket, `hello` and the `auth` result together.
    ///   - logger: Where the WebSocket client logs.
    /// - Returns: A connection that has received `hello` (and, with a token, a good `auth` result).
    /// - Throws: ``BridgeClientError``.
    public static func connect(
        url: String,
        token: String? = nil,
        origin: String? = nil,
        subprotocol: String? = nil,
        tlsConfiguration: TLSConfiguration? = nil,
        serverName: String? = nil,
        recordFrames: Bool = false,
        maxFrameSize: Int = 1 << 20,
        timeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "pexbridge.client")
    ) async throws -> BridgeConnection {
        var headers = HTTPFields()
        if let origin { headers[.origin] = origin }
        if let subprotocol { headers[.secWebSocketProtocol] = subprotocol }
        var configuration = WebSocketClientConfiguration(
            maxFrameSize: maxFrameSize,
            additionalHeaders: headers,
            validateUTF8: true
        )
        // TLS names the server it expects; an IP address cannot be sent as SNI, so a URL with one needs `serverName`.
        configuration.sniHostname = serverName
        let (stream, continuation) = AsyncStream<Incoming>.makeStream()
        let state = Shared()
        let task = Task {
            var failure: BridgeClientError?
            do {
                let closeFrame = try await WebSocketClient.connect(
                    url: url,
                    configuration: configuration,
                    tlsConfiguration: tlsConfiguration,
                    logger: logger
                ) { inbound, outbound, _ in
                    var first = true
                    for try await message in inbound.messages(maxSize: maxFrameSize) {
                        guard case .text(let text) = message else {
                            if case .binary(let buffer) = message { continuation.yield(.binary(buffer.readableBytes)) }
                            continue
                        }
                        if recordFrames { state.withLock { $0.received.append(text) } }
                        let decoded = try? WireJSON.decodeServerMessage(Array(text.utf8))
                        if first {
                            first = false
                            guard case .hello(let hello)? = decoded else {
                                Self.opened(state, .failure(.protocolViolation("the first message was not hello")))
                                return
                            }
                            state.withLock {
                                $0.hello = hello
                                $0.outbound = outbound
                            }
                            Self.opened(state, .success(()))
                            continue
                        }
                        if let decoded {
                            Self.route(decoded, state: state)
                            continuation.yield(.message(decoded))
                        } else {
                            continuation.yield(.undecodable(text))
                        }
                    }
                }
                state.withLock {
                    $0.closeCode = closeFrame.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) }
                    $0.closeReason = closeFrame?.reason
                }
            } catch {
                failure = .connectFailed("\(error)")
            }
            let (code, reason) = state.withLock { ($0.closeCode, $0.closeReason) }
            Self.opened(state, .failure(failure ?? .closed(code: code, reason: reason)))
            Self.finish(state: state, continuation: continuation)
        }
        do {
            try await waitOpened(state, timeout: timeout)
        } catch {
            task.cancel()
            throw error
        }
        let hello = state.withLock { $0.hello }!
        let connection = BridgeConnection(hello: hello, state: state, incoming: stream, task: task)
        if let token {
            let result = try await connection.request(Request.auth(token: token), timeout: timeout)
            if case .failure(let error) = result {
                await connection.close()
                throw BridgeClientError.closed(code: 1008, reason: error.message)
            }
        }
        return connection
    }

    private init(hello: Hello, state: Shared, incoming: AsyncStream<Incoming>, task: Task<Void, Never>) {
        self.hello = hello
        self.state = state
        self.incoming = incoming
        self.task = task
    }

    private static func opened(_ state: Shared, _ result: Result<Void, BridgeClientError>) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            guard s.openResult == nil else { return nil }
            s.openResult = result
            defer { s.opened = nil }
            return s.opened
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }

    private static func waitOpened(_ state: Shared, timeout: Duration) async throws {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { opened(state, .failure(.timeout)) }
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let ready = state.withLock { s -> Result<Void, BridgeClientError>? in
                if let result = s.openResult { return result }
                s.opened = c
                return nil
            }
            if let ready { c.resume(with: ready.mapError { $0 as any Error }) }
        }
    }

    private static func route(_ message: ServerMessage, state: Shared) {
        guard case .result(let id, let outcome) = message,
            let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) })
        else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(returning: outcome)
    }

    private static func finish(state: Shared, continuation: AsyncStream<Incoming>.Continuation) {
        let (waiters, code, reason) = state.withLock { s in
            s.finished = true
            s.outbound = nil
            for waiter in s.closeWaiters.values { waiter.resume() }
            s.closeWaiters = [:]
            defer { s.waiters = [:] }
            return (Array(s.waiters.values), s.closeCode, s.closeReason)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(throwing: BridgeClientError.closed(code: code, reason: reason))
        }
        continuation.finish()
    }

    /// Sends a request with a fresh id and waits for its result.
    ///
    /// - Parameters:
    ///   - request: The request; its id is chosen by the connection.
    ///   - timeout: How long to wait for the result before throwing ``BridgeClientError/timeout``.
    /// - Returns: The result's `data` on success, or the error the bridge answered with.
    /// - Throws: ``BridgeClientError`` when the connection closed or no result came in time.
    public func request(
        _ request: Request,
        timeout: Duration = .seconds(30)
    ) async throws
        -> Result<ResultData, ErrorBody>
    {
        let id = state.withLock { s -> RequestID in
            s.nextID += 1
            return .int(s.nextID)
        }
        return try await self.request(RequestEnvelope(id: id, request: request), timeout: timeout)
    }

    /// Sends a request with the given id and waits for its result.
    ///
    /// - Parameters:
    ///   - envelope: The request and the id the bridge will echo in its result.
    ///   - timeout: How long to wait for the result before throwing ``BridgeClientError/timeout``.
    /// - Returns: The result's `data` on success, or the error the bridge answered with.
    /// - Throws: ``BridgeClientError`` when the connection closed or no result came in time.
    public func request(
        _ envelope: RequestEnvelope,
        timeout: Duration = .seconds(30)
    ) async throws
        -> Result<ResultData, ErrorBody>
    {
        let text = String(decoding: RequestCodec.encode(envelope), as: UTF8.self)
        let id = envelope.id
        return try await withCheckedThrowingContinuation { continuation in
            let outbound = state.withLock { s -> WebSocketOutboundWriter? in
                guard !s.finished, let outbound = s.outbound else { return nil }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    self.fail(id, .timeout)
                }
                s.waiters[id] = Waiter(continuation: continuation, timer: timer)
                return outbound
            }
            guard let outbound else {
                continuation.resume(throwing: BridgeClientError.closed(code: closeCode, reason: closeReason))
                return
            }
            Task {
                do {
                    try await outbound.write(.text(text))
                } catch {
                    self.fail(id, .closed(code: self.closeCode, reason: self.closeReason))
                }
            }
        }
    }

    private func fail(_ id: RequestID, _ error: BridgeClientError) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(throwing: error)
    }

    private func writer() throws -> WebSocketOutboundWriter {
        guard let outbound = state.withLock({ $0.outbound }) else {
            throw BridgeClientError.closed(code: closeCode, reason: closeReason)
        }
        return outbound
    }

    /// Sends a raw text frame (anything at all; for tests and tools).
    ///
    /// - Parameter text: The frame's payload, sent as is.
    public func sendText(_ text: String) async throws {
        try await writer().write(.text(text))
    }

    /// Sends a raw binary frame.
    ///
    /// - Parameter bytes: The frame's payload.
    public func sendBinary(_ bytes: [UInt8]) async throws {
        try await writer().write(.binary(ByteBuffer(bytes: bytes)))
    }

    /// Sends a text message split into fragments.
    ///
    /// - Parameters:
    ///   - text: The whole message.
    ///   - fragmentSize: The payload size of each fragment in bytes (at least 1).
    public func sendFragmented(_ text: String, fragmentSize: Int) async throws {
        let outbound = try writer()
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + max(1, fragmentSize))
            let frame = WebSocketFrame(
                fin: end == bytes.count,
                opcode: offset == 0 ? .text : .continuation,
                data: ByteBuffer(bytes: bytes[offset..<end])
            )
            try await outbound.write(.custom(frame))
            offset = end
        }
    }

    /// Every text frame received so far, raw, `hello` included (only when connected with `recordFrames`).
    public var receivedFrames: [String] { state.withLock { $0.received } }

    /// The close code the bridge sent, once closed.
    public var closeCode: Int? { state.withLock { $0.closeCode } }

    /// The close reason the bridge sent, once closed.
    public var closeReason: String? { state.withLock { $0.closeReason } }

    /// True once the connection has ended.
    public var isClosed: Bool { state.withLock { $0.finished } }

    /// Waits until the connection has ended, at most `timeout`.
    ///
    /// - Parameter timeout: The longest wait.
    /// - Returns: True if the connection ended in time.
    public func waitUntilClosed(timeout: Duration = .seconds(10)) async -> Bool {
        if isClosed { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.closed()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || self.isClosed
        }
    }

    /// Returns once the connection has ended, or when the calling task is cancelled.
    private func closed() async {
        let number = state.withLock { s -> Int in
            s.nextCloseWaiter += 1
            return s.nextCloseWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.finished || Task.isCancelled { return true }
                    s.closeWaiters[number] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.closeWaiters.removeValue(forKey: number) }?.resume()
        }
    }

    /// Closes the connection normally.
    public func close() async {
        if let outbound = state.withLock({ $0.outbound }) {
            try? await outbound.close(.normalClosure, reason: nil)
        }
        _ = await waitUntilClosed(timeout: .seconds(3))
        task.cancel()
    }
}
