import Hummingbird

/// Turns HTTP requests into `InboundCall`s for the engine and its answers into responses.
struct SimulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let engine: SimulatorEngine
    let admin: SimulatorAdmin?

    /// Largest request body read.
    static let maxBodySize = 1 << 20

    func respond(to request: Request, context: Context) async throws -> Response {
        if let admin, request.uri.path.hasPrefix(SimulatorAdmin.prefix) {
            var request = request
            let body =
                request.method == .post
                ? Array(try await request.collectBody(upTo: Self.maxBodySize).readableBytesView) : []
            let (status, json) = admin.handle(method: request.method.rawValue, path: request.uri.path, body: body)
            return Response(
                status: .init(code: status, reasonPhrase: HTTPReasonPhrase.phrase(for: status)),
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: json))
            )
        }
        if request.uri.path.hasPrefix(SignInPage.prefix) {
            return try await SignInPage.respond(to: request, engine: engine)
        }
        guard let (alias, target) = InboundCall.parse(path: request.uri.path) else {
            return Self.response(for: .failed(404, HTTPReasonPhrase.phrase(for: 404)), request: request)
        }
        var body: [UInt8] = []
        if request.method == .post {
            var request = request
            body = Array(try await request.collectBody(upTo: Self.maxBodySize).readableBytesView)
        }
        let query = request.uri.queryParameters
        let call = InboundCall(
            method: request.method.rawValue,
            alias: alias,
            target: target,
            token: Self.header("token", in: request) ?? query["token"].map(String.init),
            pin: Self.header("pin", in: request),
            body: body,
            userAgent: Self.header("user-agent", in: request),
            host: request.head.authority ?? Self.header("host", in: request)
        )
        if let delay = engine.takeDelay(endpoint: call.endpoint, alias: alias) {
            try await Task.sleep(for: delay)
        }
        return Self.response(for: engine.answer(call), request: request)
    }

    static func header(_ name: String, in request: Request) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    private static func response(for answer: APIAnswer, request: Request) -> Response {
        switch answer {
        case .json(let status, let body):
            return Response(
                status: .init(code: status, reasonPhrase: HTTPReasonPhrase.phrase(for: status)),
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body.serialized))
            )
        case .eventStream(let stream, let continuation):
            // Watching for the client's close (below) makes Hummingbird close the connection when the stream
            // ends, so say so: a client must not return this connection to its keep-alive pool.
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close"],
                body: ResponseBody { writer in
                    // The client going away closes the inbound side: end the stream then.
                    try await request.body.consumeWithInboundCloseHandler { _ in
                        for await frame in stream {
                            try await writer.write(ByteBuffer(string: frame))
                        }
                    } onInboundClosed: {
                        continuation.finish()
                    }
                    try await writer.finish(nil)
                }
            )
        }
    }
}
