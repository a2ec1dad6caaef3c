import BridgeCore
import BridgeProtocol
import Foundation
import WebSocketTransport

/// The bridge's plain-HTTP side: the web page, the wall dashboard (`/dashboard`), health, and the published schema.
struct StaticSite: Sendable {
    let files: [String: (type: String, body: [UInt8])]
    let schema: [UInt8]
    let health: [UInt8]
    /// The store's state for `/healthz` (`serve --store`); its board stays empty without a store.
    let storeHealth: StoreHealthBoard?
    let embeddedSimulator: Bool
    let info: [UInt8]
    /// Development: serve the page's files from this directory, read on every request.
    let webRoot: String?
    let metrics: BridgeMetrics?
    /// Serve `/metrics` to every peer, not only to loopback ones.
    let metricsPublic: Bool

    init(
        embeddedNode: EmbeddedNode?,
        authRequired: Bool,
        webRoot: String? = nil,
        metrics: BridgeMetrics? = nil,
        metricsPublic: Bool = false,
        storeHealth: StoreHealthBoard? = nil
    ) {
        let simulate = embeddedNode != nil
        self.embeddedSimulator = simulate
        self.storeHealth = storeHealth
        self.webRoot = webRoot
        self.metrics = metrics
        self.metricsPublic = metricsPublic
        var files: [String: (type: String, body: [UInt8])] = [:]
        if let root = Bundle.module.resourceURL?.appendingPathComponent("Web"),
            let names = FileManager.default.enumerator(atPath: root.path)
        {
            for case let name as String in names {
                let url = root.appendingPathComponent(name)
                guard let data = try? Data(contentsOf: url), !url.hasDirectoryPath else { continue }
                files["/" + name] = (Self.contentType(of: name), Array(data))
            }
        }
        if let index = files["/index.html"] { files["/"] = index }
        if let dashboard = files["/dashboard.html"] { files["/dashboard"] = dashboard }
        self.files = files
        self.schema = Array(ProtocolSchema.document.renderedText().utf8)
        let (version, wire) = (ProtocolInfo.bridgeVersion, ProtocolInfo.version)
        self.health = Array(
            #"{"status":"ok","version":"\#(version)","protocol":\#(wire),"simulate":\#(simulate)}"#.utf8
        )
        let rooms: [JSONValue] = (embeddedNode?.demoRooms ?? []).map { room in
            .object([
                "alias": .string(room.alias), "name": .string(room.name), "access": .string(room.access.rawValue),
            ])
        }
        let document: JSONValue = .object([
            "version": .string(ProtocolInfo.bridgeVersion), "protocol": .int(ProtocolInfo.version),
            "auth_required": .bool(authRequired), "simulate": .bool(simulate),
            "websocket_path": .string("/ws"), "demo_rooms": .array(rooms),
        ])
        self.info = Array((try? WireJSON.encoder.encode(document)) ?? Data("{}".utf8))
    }

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }

    /// The page's policy: scripts, styles and sockets from its own origin only (`connect-src 'self'` covers
    /// `ws:`/`wss:` to the same host and port), nothing embedded, no forms, no base-URL games.
    static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        + "form-action 'none'; frame-ancestors 'none'"

    /// Headers every answer carries, whatever its type or status.
    static let commonHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
    ]

    func respond(to request: HTTPRequest) -> HTTPResponse {
        var response = route(request)
        response.headers = Self.commonHeaders + response.headers
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponse(text: "method not allowed\n", status: 405)
        }
        let page: [(String, String)] = [
            ("Content-Security-Policy", Self.contentSecurityPolicy), ("Cache-Control", "no-cache"),
        ]
        switch request.path {
        case "/healthz":
            return HTTPResponse(json: healthDocument(), headers: [("Cache-Control", "no-store")])
        case "/metrics":
            guard let metrics else { return .notFound }
            guard metricsPublic || Self.isLoopbackPeer(request.peerAddress) else {
                return HTTPResponse(
                    text: "metrics are served to loopback peers only (see --metrics-public)\n",
                    status: 403
                )
            }
            return HTTPResponse(
                status: 200,
                contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: metrics.render(),
                headers: [("Cache-Control", "no-store")]
            )
        case "/bridge.json":
            return HTTPResponse(json: info, headers: [("Cache-Control", "no-store")])
        case "/protocol/schema.json":
            return HTTPResponse(json: schema)
        default:
            if let webRoot { return fromDisk(webRoot, request.path, headers: page) }
            guard let file = files[request.path] else { return .notFound }
            return HTTPResponse(status: 200, contentType: file.type, body: file.body, headers: page)
        }
    }

    /// `/healthz`: always 200 while the process serves (a load balancer keeps sending clients to an instance whose
    /// store is away: it still serves the sessions it holds); with a store, `status` is `degraded` while the store
    /// does not answer, and `instance` and `store` say which instance this is and how its store is.
    private func healthDocument() -> [UInt8] {
        guard let status = storeHealth?.current else { return health }
        var store: [String: JSONValue] = [
            "kind": .string(status.kind),
            "status": .string(status.available ? "ok" : "unavailable"),
            "leases_held": .int(status.leasesHeld),
        ]
        if let since = status.unavailableSince { store["unavailable_since_ms"] = .int(Int(since)) }
        if let listening = status.busListening { store["bus"] = .string(listening ? "listening" : "reconnecting") }
        let document: JSONValue = .object([
            "status": .string(status.available ? "ok" : "degraded"),
            "version": .string(ProtocolInfo.bridgeVersion), "protocol": .int(ProtocolInfo.version),
            "simulate": .bool(embeddedSimulator), "instance": .string(status.instance), "store": .object(store),
        ])
        return Array((try? WireJSON.encoder.encode(document)) ?? Data(health))
    }

    /// A peer on this machine: 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6.
    static func isLoopbackPeer(_ address: String) -> Bool {
        var address = address.lowercased()
        if address.hasPrefix("::ffff:") { address.removeFirst("::ffff:".count) }
        return address == "::1" || (address.hasPrefix("127.") && OriginPolicy.isLoopbackAddress(address))
    }

    private func fromDisk(_ root: String, _ path: String, headers: [(String, String)]) -> HTTPResponse {
        let relative =
            switch path {
            case "/": "index.html"
            case "/dashboard": "dashboard.html"
            default: String(path.dropFirst())
            }
        guard !relative.split(separator: "/").contains(where: { $0 == ".." || $0.hasPrefix(".") }),
            let data = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(relative))
        else { return .notFound }
        return HTTPResponse(
            status: 200,
            contentType: Self.contentType(of: relative),
            body: Array(data),
            headers: headers
        )
    }
}
