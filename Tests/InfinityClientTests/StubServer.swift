import Locking
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

@testable import InfinityClient

/// A request the stub server received.
struct RecordedRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The path below `/api/client/v2/conferences/<alias>/`, e.g. "request_token" or "participants/p1/mute".
    var endpoint: String {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // ["", "api", "client", "v2", "conferences", alias, rest...]
        guard parts.count > 6 else { return path }
        return parts[6...].joined(separator: "/")
    }

    /// The alias segment exactly as sent (still percent-encoded).
    var rawAlias: String? {
        let parts = uri.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count > 5 ? String(parts[5]) : nil
    }

    func header(_ name: String) -> String? { headers.first(name: name) }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// One piece of an event-stream response, written after `delay`.
struct StubChunk: Sendable {
    var delay: Duration
    var text: String

    init(after delay: Duration = .zero, _ text: String) {
        self.delay = delay
        self.text = text
    }
}

/// What the stub answers.
enum StubResponse: Sendable {
    /// A JSON body with this status.
    case json(Int, String)
    /// Any body and content type.
    case raw(Int, contentType: String, body: String)
    /// An event stream: chunks in order, then end and close the connection if `close`, else stay open.
    case events([StubChunk], close: Bool)
    /// A 302 to `location`.
    case redirect(location: String)
    /// Never answer.
    case hang
    /// Close the connection without answering (a keep-alive connection closed under the request).
    case hangUp
    /// Send a 200 head with a content length, then never send the body.
    case headThenHang
}

/// Canned-response HTTP/1.1 server on 127.0.0.1, port 0, optionally with TLS.
final class StubServer: Sendable {
    typealias Responder = @Sendable (RecordedRequest, Int) -> StubResponse

    let port: Int
    let scheme: String
    private let serverChannel: any Channel
    private let state: StubState

    var node: NodeAddress { try! NodeAddress(scheme: scheme, host: "127.0.0.1", port: port) }

    private init(port: Int, scheme: String, serverChannel: any Channel, state: StubState) {
        self.port = port
        self.scheme = scheme
        self.serverChannel = serverChannel
        self.state = state
    }

    /// Starts a server whose `responder` gets each request and how many times its endpoint was hit (1-based).
    static func start(tls: NIOSSLContext? = nil, responder: @escaping Responder) async throws -> StubServer {
        let state = StubState(responder: responder)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.track(channel)
                do {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StubHandler(state: state))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return StubServer(
            port: channel.localAddress!.port!,
            scheme: tls == nil ? "http" : "https",
            serverChannel: channel,
            state: state
        )
    }

    /// Every request received so far, in order.
    var requests: [RecordedRequest] { state.recorded }

    /// Requests to one endpoint.
    func requests(to endpoint: String) -> [RecordedRequest] { requests.filter { $0.endpoint == endpoint } }

    /// How many connections are open now.
    var openConnections: Int { state.openCount }

    /// How many open connections last served `endpoint` (e.g. "events").
    func openConnections(serving endpoint: String) -> Int { state.openCount(serving: endpoint) }

    /// Closes the listener and every open connection.
    func stop() async {
        try? await serverChannel.close()
        for channel in state.openChannels { try? await channel.close() }
    }
}

private final class StubState: Sendable {
    let responder: StubServer.Responder
    private let storage = Mutex<
        (
            requests: [RecordedRequest], counts: [String: Int], channels: [ObjectIdentifier: any Channel],
            serving: [ObjectIdentifier: String]
        )
    >(([], [:], [:], [:]))

    init(responder: @escaping StubServer.Responder) { self.responder = responder }

    func record(_ request: RecordedRequest, on channel: ObjectIdentifier) -> Int {
        storage.withLock { storage in
            storage.requests.append(request)
            storage.serving[channel] = request.endpoint
            storage.counts[request.endpoint, default: 0] += 1
            return storage.counts[request.endpoint]!
        }
    }

    var recorded: [RecordedRequest] { storage.withLock { $0.requests } }
    var openChannels: [any Channel] { storage.withLock { Array($0.channels.values) } }
    var openCount: Int { storage.withLock { $0.channels.count } }

    func openCount(serving endpoint: String) -> Int {
        storage.withLock { storage in storage.channels.keys.filter { storage.serving[$0] == endpoint }.count }
    }

    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        storage.withLock { $0.channels[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            storage.withLock { storage in
                storage.channels[id] = nil
                storage.serving[id] = nil
            }
        }
    }
}

private final class StubHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: StubState
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var scheduled: [Scheduled<Void>] = []

    init(state: StubState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = RecordedRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
            let count = state.record(request, on: ObjectIdentifier(context.channel))
            respond(state.responder(request, count), keepAlive: head.isKeepAlive, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for task in scheduled { task.cancel() }
        scheduled.removeAll()
        context.fireChannelInactive()
    }

    private func respond(_ response: StubResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        switch response {
        case .json(let status, let text):
            sendComplete(
                status: status,
                contentType: "application/json",
                body: text,
                keepAlive: keepAlive,
                context: context
            )
        case .raw(let status, let contentType, let text):
            sendComplete(status: status, contentType: contentType, body: text, keepAlive: keepAlive, context: context)
        case .redirect(let location):
            sendComplete(
                status: 302,
                contentType: "text/plain",
                body: "",
                extraHeaders: [("location", location)],
                keepAlive: keepAlive,
                context: context
            )
        case .hang:
            break
        case .hangUp:
            context.close(promise: nil)
        case .headThenHang:
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: "100")
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                promise: nil
            )
        case .events(let chunks, let close):
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/event-stream")
            headers.add(name: "cache-control", value: "no-cache")
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                promise: nil
            )
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            var at = TimeAmount.zero
            for chunk in chunks {
                at = at + chunk.delay.stubTimeAmount
                let task = context.eventLoop.scheduleTask(in: at) {
                    let (handler, context) = bound.value
                    var buffer = context.channel.allocator.buffer(capacity: chunk.text.utf8.count)
                    buffer.writeString(chunk.text)
                    context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                }
                scheduled.append(task)
            }
            if close {
                let task = context.eventLoop.scheduleTask(in: at + .milliseconds(20)) {
                    let (handler, context) = bound.value
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil))).whenComplete { _ in
                        bound.value.context.close(promise: nil)
                    }
                }
                scheduled.append(task)
            }
        }
    }

    private func sendComplete(
        status: Int,
        contentType: String,
        body text: String,
        extraHeaders: [(String, String)] = [],
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders(extraHeaders)
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: "\(text.utf8.count)")
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

extension Duration {
    var stubTimeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
