import Synchronization
import Testing

@testable import WebSocketTransport

#if canImport(Glibc)
import Glibc
#endif

/// The hardened edge: pre-auth slots, early HTTP refusals, the Host check, proxies, the echo endpoint's listener
/// and one big frame through an empty outbox (security review findings 2, 5, 6, 10, 11, 14, 18).
@Suite struct EdgeTests {
    // MARK: Finding 10: pre-auth connection slots

    @Test func unpromotedConnectionsHaveTheirOwnCapAndASmallMessageLimit() async throws {
        let server = try TestServer.start {
            $0.promoteOnOpen = false
            $0.maxUnauthenticatedConnections = 2
            $0.unauthenticatedMaxMessageBytes = 4096
        }
        let port = server.port
        let first = try await server.rawWebSocket()
        let second = try await server.rawWebSocket()
        let (firstID, _) = try await server.log.opened(0)
        let (secondID, _) = try await server.log.opened(1)
        let third = try await background { try RawClient(port: port).upgrade(port: port) }
        #expect(third.statusLine == "HTTP/1.1 503 Service Unavailable")
        #expect(third.body == "too many unauthenticated connections\n")

        // Promoted, the first one frees a pre-auth slot and may send big messages.
        server.server.promote(firstID)
        let big = String(repeating: "b", count: 5000)
        try await background { try first.sendText(big) }
        #expect(try await server.log.text(from: firstID) == big)
        let again = try await server.rawWebSocket()
        withExtendedLifetime(again) {}

        // The second, still unpromoted, is closed for the same message.
        let close = try await background {
            try second.sendText(big)
            return try second.readMessageFrame()
        }
        #expect(close.closeCode == 1009)
        try await server.log.closed(secondID)
        await server.stop()
    }

    @Test func unpromotedConnectionsPerAddressAreCapped() async throws {
        let server = try TestServer.start {
            $0.promoteOnOpen = false
            $0.maxUnauthenticatedConnectionsPerAddress = 1
        }
        let port = server.port
        let first = try await server.rawWebSocket()
        let refused = try await background { try RawClient(port: port).upgrade(port: port) }
        #expect(refused.status == 503)
        #expect(refused.body == "too many unauthenticated connections\n")
        withExtendedLifetime(first) {}
        await server.stop()
    }

    // MARK: Finding 11: early 405 / 413, HTTP connections per address

    @Test func anyMethodButGetAndHeadIsRefusedAtItsHeadersWithoutReadingTheBody() async throws {
        let seen = Locked<Int>(0)
        let server = try TestServer.start(httpHandler: { _ in
            seen.mutate { $0 += 1 }
            return .notFound
        })
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
            // The declared body never comes: an answer proves nothing waited for it.
            let (head, body) = try await httpExchange(
                port: server.port,
                "\(method) /x HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nContent-Length: 900000\r\n\r\n"
            )
            #expect(head.statusLine == "HTTP/1.1 405 Method Not Allowed", "\(method)")
            #expect(head.headers["allow"] == "GET, HEAD")
            #expect(body == "method not allowed\n")
        }
        #expect(seen.value == 0)
        await server.stop()
    }

    @Test func aDeclaredBodyOverTheLimitIsRefusedAtItsHeaders() async throws {
        let server = try TestServer.start {
            $0.httpMethods = ["GET", "HEAD", "POST"]
            $0.maxRequestBodyBytes = 1000
        }
        for method in ["POST", "GET"] {
            let (head, body) = try await httpExchange(
                port: server.port,
                "\(method) /x HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nContent-Length: 1001\r\n\r\n"
            )
            #expect(head.statusLine == "HTTP/1.1 413 Content Too Large", "\(method)")
            #expect(body == "request body too large\n")
        }
        await server.stop()
    }

    @Test func httpConnectionsPerAddressAreCappedAndUpgradesFreeTheirSlot() async throws {
        let server = try TestServer.start { $0.maxHTTPConnectionsPerAddress = 2 }
        let port = server.port
        // WebSocket connections do not count once upgraded.
        var sockets: [RawClient] = []
        for _ in 0..<3 { sockets.append(try await server.rawWebSocket()) }
        let idle = try await background { [try RawClient(port: port), try RawClient(port: port)] }
        try await waitUntil("both idle connections accepted") { server.server.stats().httpConnections == 2 }
        let outcome = try await background { () -> String in
            let extra = try RawClient(port: port)
            do {
                try extra.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
                return String(decoding: try extra.readToEnd(), as: UTF8.self).isEmpty ? "closed" : "answered"
            } catch RawClientError.ioError(ECONNRESET), RawClientError.ioError(EPIPE) {
                return "closed"
            }
        }
        #expect(outcome == "closed")
        #expect(server.server.stats().httpConnectionsRefused == 1)

        // Once an idle connection goes, a new request is served again.
        idle[0].shutdownWrite()
        try await waitUntil("a slot is free again") { server.server.stats().httpConnections == 1 }
        let (again, _) = try await httpExchange(
            port: port,
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
        )
        #expect(again.status == 404)
        sockets.removeAll()
        withExtendedLifetime(idle) {}
        await server.stop()
    }

    // MARK: Finding 14: Host on a loopback listener

    @Test(arguments: [
        // Any port: a local port forward (ssh -L) names its own port in Host.
        ("evil.example", 421), ("evil.example:PORT", 421), ("127.0.0.1:1", 404), ("app.localhost:PORT", 421),
        ("127.0.0.1:PORT", 404), ("localhost:PORT", 404), ("localhost", 404), ("[::1]:PORT", 404),
    ])
    func everyPathOnALoopbackListenerChecksTheHost(host: String, status: Int) async throws {
        let server = try TestServer.start()
        let host = host.replacingOccurrences(of: "PORT", with: "\(server.port)")
        for path in ["/", "/metrics", "/ws"] {
            let (head, body) = try await httpExchange(
                port: server.port,
                "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
            )
            #expect(head.status == status, "\(path) with Host \(host)")
            if status == 421 {
                #expect(head.statusLine == "HTTP/1.1 421 Misdirected Request")
                #expect(body.hasPrefix("misdirected request"))
            }
        }
        let port = server.port
        let upgrade = try await background {
            try RawClient(port: port).upgrade(port: port, extraHeaders: ["Host": host])
        }
        #expect(upgrade.status == (status == 421 ? 421 : 101), "upgrade with Host \(host)")
        await server.stop()
    }

    @Test func aNetworkListenerDoesNotCheckTheHost() async throws {
        let server = try TestServer.start { $0.host = "0.0.0.0" }
        let (head, _) = try await httpExchange(
            port: server.port,
            "GET / HTTP/1.1\r\nHost: bridge.example\r\nConnection: close\r\n\r\n"
        )
        #expect(head.status == 404)
        await server.stop()
    }

    // MARK: Finding 5: proxies

    @Test(arguments: ["X-Forwarded-For: 203.0.113.7", "Forwarded: for=203.0.113.7", "X-Real-IP: 203.0.113.7"])
    func proxiedRequestsAreRefusedWhenConfigured(proxyHeader: String) async throws {
        let server = try TestServer.start { $0.refuseProxiedRequests = true }
        let host = "127.0.0.1:\(server.port)"
        let (head, body) = try await httpExchange(
            port: server.port,
            "GET / HTTP/1.1\r\nHost: \(host)\r\n\(proxyHeader)\r\nConnection: close\r\n\r\n"
        )
        #expect(head.statusLine == "HTTP/1.1 403 Forbidden")
        #expect(body.hasPrefix("proxied requests are refused"))
        let port = server.port
        let parts = proxyHeader.split(separator: ":", maxSplits: 1).map { String($0) }
        let upgrade = try await background {
            try RawClient(port: port).upgrade(port: port, extraHeaders: [parts[0]: parts[1]])
        }
        #expect(upgrade.status == 403)
        let (plain, _) = try await httpExchange(
            port: server.port,
            "GET / HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        )
        #expect(plain.status == 404)
        await server.stop()
    }

    @Test func aTrustedProxyNamesTheClientAddress() async throws {
        let seen = Locked<[String]>([])
        let proxies = [try CIDR("127.0.0.0/8")]
        let server = try TestServer.start(
            { $0.trustedProxies = proxies },
            httpHandler: { request in
                seen.mutate { $0.append(request.peerAddress) }
                return .notFound
            }
        )
        let port = server.port
        _ = try await background {
            try RawClient(port: port).upgrade(port: port, extraHeaders: ["X-Forwarded-For": "198.51.100.9, 127.0.0.1"])
        }
        _ = try await background {
            try RawClient(port: port).upgrade(port: port, extraHeaders: ["Forwarded": #"for="[2001:db8::1]:4711""#])
        }
        #expect(try await server.log.opened(0).1.peerAddress == "198.51.100.9")
        #expect(try await server.log.opened(1).1.peerAddress == "2001:db8::1")
        _ = try await httpExchange(
            port: port,
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Real-IP: 192.0.2.44\r\nConnection: close\r\n\r\n"
        )
        #expect(seen.value.last == "192.0.2.44")
        await server.stop()
    }

    @Test func anUntrustedPeerCannotNameAnotherAddress() async throws {
        let proxies = [try CIDR("10.0.0.0/8")]
        let server = try TestServer.start { $0.trustedProxies = proxies }
        let port = server.port
        _ = try await background {
            try RawClient(port: port).upgrade(port: port, extraHeaders: ["X-Forwarded-For": "198.51.100.9"])
        }
        #expect(try await server.log.opened().1.peerAddress == "127.0.0.1")
        await server.stop()
    }

    // MARK: Finding 18: the echo endpoint

    @Test func theEchoEndpointNeedsALoopbackListener() async throws {
        let configuration = TransportConfiguration(host: "0.0.0.0", port: 0, echoPath: "/echo")
        #expect(throws: TransportError.invalidConfiguration("echoPath needs a loopback listener")) {
            try configuration.validate()
        }
        let server = WebSocketServer(configuration: configuration, logger: testLogger, httpHandler: { _ in .notFound })
        #expect(throws: TransportError.invalidConfiguration("echoPath needs a loopback listener")) {
            try server.start()
        }
        await server.shutdown()
    }

    // MARK: Security finding 2: one big frame through an empty outbox

    @Test func oneFrameOverTheOutboxLimitPassesAnEmptyOutbox() async throws {
        let server = try TestServer.start { $0.outboxLimitBytes = 1024 }
        let client = try await server.rawWebSocket()
        let (id, _) = try await server.log.opened()
        let big = String(repeating: "s", count: 8192)
        server.server.send(OutboundFrame(big), to: id)
        #expect(try await background { try client.readMessageFrame().text } == big)
        #expect(server.server.stats().slowConsumerCloses == 0)
        server.server.send(OutboundFrame("after"), to: id)
        #expect(try await background { try client.readMessageFrame().text } == "after")
        await server.stop()
    }

    @Test func aFrameOverTheHardCapStillClosesTheClient() async throws {
        let server = try TestServer.start { $0.outboxLimitBytes = 1024 }
        let client = try await server.rawWebSocket()
        let (id, _) = try await server.log.opened()
        let huge = [UInt8](repeating: 0x61, count: TransportConfiguration.oversizeFrameHardCapBytes + 1)
        server.server.send(OutboundFrame(huge), to: id)
        let close = try await background { try client.readMessageFrame() }
        #expect(close.closeCode == 1008)
        #expect(server.server.stats().slowConsumerCloses == 1)
        await server.stop()
    }
}

@Suite struct ProxyAddressTests {
    @Test func cidrRanges() throws {
        let v4 = try CIDR("10.1.0.0/16")
        #expect(v4.contains("10.1.255.3"))
        #expect(!v4.contains("10.2.0.1"))
        #expect(v4.contains("::ffff:10.1.0.9"))
        let v6 = try CIDR("2001:db8::/32")
        #expect(v6.contains("2001:db8:1::5"))
        #expect(v6.contains("[2001:db8::1]"))
        #expect(!v6.contains("2001:db9::1"))
        #expect(try CIDR("127.0.0.1").contains("127.0.0.1"))
        #expect(!(try CIDR("127.0.0.1")).contains("127.0.0.2"))
        for bad in ["10.0.0.0/33", "x", "10.0.0.0/", "::/129", "1.2.3.4/8/8"] {
            #expect(throws: TransportError.self, "\(bad)") { try CIDR(bad) }
        }
    }

    @Test func theClientIsTheNearestUntrustedHop() throws {
        let trusted = [try CIDR("10.0.0.0/8")]
        #expect(
            ForwardedClient.address(
                forwarded: nil,
                forwardedFor: "1.1.1.1, 203.0.113.5, 10.0.0.2",
                realIP: nil,
                trusted: trusted
            ) == "203.0.113.5"
        )
        #expect(
            ForwardedClient.address(
                forwarded: "for=192.0.2.60;proto=http, for=10.0.0.3",
                forwardedFor: "9.9.9.9",
                realIP: nil,
                trusted: trusted
            ) == "192.0.2.60"
        )
        #expect(
            ForwardedClient.address(
                forwarded: #"for="[2001:db8::7]:4711""#,
                forwardedFor: nil,
                realIP: nil,
                trusted: trusted
            ) == "2001:db8::7"
        )
        #expect(
            ForwardedClient.address(
                forwarded: nil,
                forwardedFor: nil,
                realIP: " 192.0.2.1 ",
                trusted: trusted
            ) == "192.0.2.1"
        )
        #expect(
            ForwardedClient.address(
                forwarded: nil,
                forwardedFor: "garbage, 10.0.0.1",
                realIP: nil,
                trusted: trusted
            ) == "10.0.0.1"
        )
        #expect(ForwardedClient.address(forwarded: nil, forwardedFor: nil, realIP: nil, trusted: trusted) == nil)
    }
}
