import Foundation
import Testing
import WebSocketTransport

@testable import BridgeServer

/// The wall dashboard's address: served like the page, with the page's policy, embedded or from a web root.
@Suite("The wall dashboard at /dashboard")
struct DashboardRouteTests {
    private func header(_ name: String, _ response: HTTPResponse) -> [String] {
        response.headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    private func get(_ site: StaticSite, _ path: String) -> HTTPResponse {
        site.respond(to: HTTPRequest(method: "GET", path: path, peerAddress: "127.0.0.1"))
    }

    @Test func theDashboardIsServedWithThePagesHeaders() throws {
        let site = StaticSite(embeddedNode: nil, authRequired: true)
        let page = get(site, "/")
        let wall = get(site, "/dashboard")
        #expect(wall.status == 200)
        #expect(wall.contentType.hasPrefix("text/html"))
        let html = String(decoding: wall.body, as: UTF8.self)
        #expect(html.contains("dashboard.js"), "not the dashboard's document")
        #expect(!html.contains("<script>"), "inline script: the policy forbids it")
        for name in ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control"] {
            #expect(!header(name, wall).isEmpty, "\(name)")
            #expect(header(name, wall) == header(name, page), "\(name)")
        }
        for path in ["/dashboard.js", "/lib/dashboard-tiles.js", "/lib/session-sync.js"] {
            let script = get(site, path)
            #expect(script.status == 200, "\(path)")
            #expect(script.contentType.hasPrefix("text/javascript"), "\(path)")
        }
        #expect(get(site, "/dashboard.css").contentType.hasPrefix("text/css"))
        #expect(get(site, "/dashboard/").status == 404)
    }

    @Test func aWebRootServesItsOwnDashboard() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pexbridge-wall-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("<!doctype html><title>wall from disk</title>".utf8)
            .write(to: root.appendingPathComponent("dashboard.html"))
        let site = StaticSite(embeddedNode: nil, authRequired: false, webRoot: root.path)
        let wall = get(site, "/dashboard")
        #expect(wall.status == 200)
        #expect(String(decoding: wall.body, as: UTF8.self).contains("wall from disk"))
        #expect(!header("Content-Security-Policy", wall).isEmpty)
    }
}
