import Testing

@testable import InfinityClient

@Suite struct NodeAddressTests {
    @Test func bareHostMeansHTTPS() throws {
        let address = try NodeAddress(parsing: "Node.Example.com")
        #expect(address.scheme == "https")
        #expect(address.host == "node.example.com")
        #expect(address.port == nil)
        #expect(address.isSecure)
        #expect(address.baseURL == "https://node.example.com")
        #expect(address.description == "https://node.example.com")
    }

    @Test func hostWithPort() throws {
        let address = try NodeAddress(parsing: "node.example.com:8443")
        #expect(address.port == 8443)
        #expect(address.baseURL == "https://node.example.com:8443")
    }

    @Test func explicitSchemesAndTrailingSlash() throws {
        #expect(try NodeAddress(parsing: "https://node.example.com/").baseURL == "https://node.example.com")
        #expect(try NodeAddress(parsing: "HTTPS://node.example.com:9443").baseURL == "https://node.example.com:9443")
        let plain = try NodeAddress(parsing: "http://10.0.0.5:8080")
        #expect(plain.scheme == "http")
        #expect(!plain.isSecure)
        #expect(plain.baseURL == "http://10.0.0.5:8080")
        #expect(try NodeAddress(parsing: "  node.example.com  ").host == "node.example.com")
    }

    @Test func ipv6InBrackets() throws {
        let address = try NodeAddress(parsing: "[::1]:8443")
        #expect(address.host == "::1")
        #expect(address.port == 8443)
        #expect(address.baseURL == "https://[::1]:8443")
        #expect(try NodeAddress(parsing: "https://[2001:db8::2]/").baseURL == "https://[2001:db8::2]")
    }

    @Test(arguments: [
        ("", NodeAddressError.empty),
        ("   ", .empty),
        ("https://", .empty),
        ("ftp://node.example.com", .unsupportedScheme),
        ("wss://node.example.com", .unsupportedScheme),
        ("user:secret@node.example.com", .userInfoNotAllowed),
        ("https://user@node.example.com", .userInfoNotAllowed),
        ("node.example.com/api", .pathNotAllowed),
        ("https://node.example.com//", .pathNotAllowed),
        ("node.example.com?x=1", .queryNotAllowed),
        ("https://node.example.com/?x=1", .queryNotAllowed),
        ("node.example.com#frag", .fragmentNotAllowed),
        ("node.example.com:", .invalidPort),
        ("node.example.com:0", .invalidPort),
        ("node.example.com:65536", .invalidPort),
        ("node.example.com:80a", .invalidPort),
        ("node.example.com:-1", .invalidPort),
        ("::1", .invalidHost),
        ("[::1", .invalidHost),
        ("[node]", .invalidHost),
        ("node example.com", .invalidHost),
        (":8443", .invalidHost),
    ])
    func rejects(input: String, expected: NodeAddressError) {
        #expect(throws: expected) { try NodeAddress(parsing: input) }
    }

    @Test func userInfoErrorDoesNotEchoTheSecret() {
        do {
            _ = try NodeAddress(parsing: "admin:hunter2@node.example.com")
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
    }
}
