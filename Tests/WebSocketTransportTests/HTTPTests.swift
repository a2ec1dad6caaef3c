import Locking
import Testing
import WebSocketTransport

/// Sends one raw HTTP request and returns the response head and body.
func httpExchange(port: Int, _ request: String) async throws -> (HTTPHead, String) {
    try await background {
        let client = try RawClient(port: port)
        try client.send(request)
        let head = try HTTPHead(client.read(through: Array("\r\n\r\n".utf8)))
        let length = head.headers["content-length"].flatMap { Int($0) } ?? 0
        let body = try client.read(count: length)
        return (head, String(decoding: body, as: UTF8.self))
    }
}

@Suite struct HTTPTests {
    @Test func startOnPortZeroReturnsARealPort() async throws {
        let server = try TestServer.start()
        #expect(server.port > 0)
        #expect(server.port != 8080)
        await server.stop()
    }

    @Test func getReturnsTheHandlersStatusBodyAndContentType() async throws {
        let seen = Mutex<[HTTPRequest]>([])
        let server = try TestServer.start(httpHandler: { request in
            seen.withLock { $0.append(request) }
            if request.path == "/healthz" {
                return HTTPResponse(json: #"{"ok":true}"#, headers: [("cache-control", "no-store")])
            }
            return .notFound
        })
        let request =
            "GET /healthz?verbose=1&x=a%20b HTTP/1.1\r\nHost: localhost\r\nUser-Agent: raw-test\r\n"
            + "Accept: application/json\r\nOrigin: https://ui.example\r\nConnection: close\r\n\r\n"
        let (head, body) = try await httpExchange(port: server.port, request)
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "application/json")
        #expect(head.headers["cache-control"] == "no-store")
        #expect(body == #"{"ok":true}"#)

        let received = try #require(seen.withLock { $0.first })
        #expect(received.method == "GET")
        #expect(received.path == "/healthz")
        #expect(received.query == "verbose=1&x=a b")
        #expect(received.headers["host"] == "localhost")
        #expect(received.headers["user-agent"] == "raw-test")
        #expect(received.headers["accept"] == "application/json")
        #expect(received.headers["origin"] == "https://ui.example")
        #expect(received.peerAddress == "127.0.0.1")
        #expect(server.server.stats().httpRequests == 1)
        await server.stop()
    }

    @Test func unknownPathGetsTheHandlers404() async throws {
        let server = try TestServer.start()
        let (head, body) = try await httpExchange(
            port: server.port,
            "GET /nope HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nConnection: close\r\n\r\n"
        )
        #expect(head.status == 404)
        #expect(body == "not found\n")
        await server.stop()
    }

    @Test func headGetsHeadersWithoutBody() async throws {
        let server = try TestServer.start(httpHandler: { _ in HTTPResponse(text: "twelve bytes") })
        let port = server.port
        let (head, rest) = try await background {
            let client = try RawClient(port: port)
            try client.send("HEAD /page HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
            let head = try HTTPHead(client.read(through: Array("\r\n\r\n".utf8)))
            return (head, try client.readToEnd())
        }
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "12")
        #expect(rest.isEmpty)
        await server.stop()
    }

    @Test func largeBodyArrivesWhole() async throws {
        let big = (0..<200_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let server = try TestServer.start(httpHandler: { _ in
            HTTPResponse(status: 200, contentType: "application/octet-stream", body: big)
        })
        let (head, body) = try await httpExchange(
            port: server.port,
            "GET /big HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nConnection: close\r\n\r\n"
        )
        #expect(head.status == 200)
        #expect(Array(body.utf8) == big)
        await server.stop()
    }

    @Test func postBodyReachesTheHandler() async throws {
        let seen = Mutex<HTTPRequest?>(nil)
        let server = try TestServer.start(
            { $0.httpMethods = ["GET", "HEAD", "POST"] },
            httpHandler: { request in
                seen.withLock { $0 = request }
                return HTTPResponse(text: "got \(request.body.count)", status: 201)
            }
        )
        let payload = String(repeating: "x", count: 10_000)
        let request =
            "POST /submit HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nContent-Type: text/plain\r\n"
            + "Content-Length: \(payload.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + payload
        let (head, body) = try await httpExchange(port: server.port, request)
        #expect(head.status == 201)
        #expect(body == "got 10000")
        let received = try #require(seen.withLock { $0 })
        #expect(received.method == "POST")
        #expect(received.body == Array(payload.utf8))
        await server.stop()
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        let server = try TestServer.start(httpHandler: { request in HTTPResponse(text: request.path) })
        let port = server.port
        let bodies = try await background {
            let client = try RawClient(port: port)
            var bodies: [String] = []
            for path in ["/a", "/b", "/c"] {
                try client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
                let head = try HTTPHead(client.read(through: Array("\r\n\r\n".utf8)))
                let length = head.headers["content-length"].flatMap { Int($0) } ?? 0
                bodies.append(String(decoding: try client.read(count: length), as: UTF8.self))
            }
            return bodies
        }
        #expect(bodies == ["/a", "/b", "/c"])
        await server.stop()
    }
}
