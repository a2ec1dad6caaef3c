import Hummingbird

/// Turns HTTP requests into `InboundCall`s for the engine and its answers into responses.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorRequestContext

    let engine: SimulatorEngine

    /// Largest request body read.
    static let maxBodySize = 1 << 20

    func respond(to request: Request, context: Context) async throws -> Response {
        guard let (alias, target) = InboundCall.parse(path: request.uri.path) else {
            return Self.response(for: .failed(404, HTTPReasonPhrase.phrase(for: 404)))
        }
        var request = request
        let body = try await request.collectBody(upTo: Self.maxBodySize)
        let query = request.uri.queryParameters
        let call = InboundCall(
            method: request.method.rawValue,
            alias: alias,
            target: target,
            token: Self.header("token", in: request) ?? query["token"].map(String.init),
            pin: Self.header("pin", in: request),
            body: Array(body.readableBytesView),
            userAgent: Self.header("user-agent", in: request))
        if let delay = engine.takeDelay(endpoint: call.endpoint, alias: alias) {
            try await Task.sleep(for: delay)
        }
        let answer = engine.answer(call)
        if case .eventStream(_, let continuation) = answer {
            context.whenConnectionCloses { continuation.finish() }
        }
        return Self.response(for: answer)
    }

    private static func header(_ name: String, in request: Request) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    private static func response(for answer: APIAnswer) -> Response {
        switch answer {
        case .json(let status, let body):
            return Response(
                status: .init(code: status, reasonPhrase: HTTPReasonPhrase.phrase(for: status)),
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body.serialized)))
        case .eventStream(let stream, _):
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    for await frame in stream {
                        try await writer.write(ByteBuffer(string: frame))
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
