import Clocks
import Logging
import TestSupport
import Testing

@testable import InfinityClient

/// Node discovery: the DNS client against a responder on loopback (never the machine's resolver), RFC 2782's
/// order with a seeded generator, and the candidates list.
@Suite("Node discovery", .timeLimit(.minutes(1)))
struct DiscoveryTests {
    /// A deterministic generator (SplitMix64).
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func theResolverReadsSRVRecordsAndNXDOMAIN() async throws {
        let dns = try await DNSResponder()
        dns.set(
            "_pexapp._tcp.example.com",
            [
                .init(priority: 10, weight: 5, port: 443, target: "px1.example.com"),
                .init(priority: 20, weight: 0, port: 8443, target: "px2.example.com"),
            ]
        )
        // The query's timeout runs on a test clock nobody advances: an answer that comes, however slowly, never
        // races it (a responder that never answers is ended by the suite's time limit).
        let resolver = DNSResolver(server: dns.address, clock: TestClock())
        let records = try await resolver.srv("_pexapp._tcp.example.com")
        #expect(
            records == [
                SRVRecord(priority: 10, weight: 5, port: 443, target: "px1.example.com"),
                SRVRecord(priority: 20, weight: 0, port: 8443, target: "px2.example.com"),
            ]
        )
        #expect(try await resolver.srv("_pexapp._tcp.nowhere.example") == [])
        #expect(dns.questions == ["_pexapp._tcp.example.com", "_pexapp._tcp.nowhere.example"])
        await dns.stop()
    }

    @Test func aSilentServerTimesOut() async throws {
        let dns = try await DNSResponder()
        await dns.stop()
        let resolver = DNSResolver(server: dns.address, timeout: .milliseconds(300))
        await #expect(throws: InfinityError.self) { _ = try await resolver.srv("_pexapp._tcp.example.com") }
    }

    @Test func priorityFirstThenWeight() {
        let records = [
            SRVRecord(priority: 20, weight: 1, port: 1, target: "late"),
            SRVRecord(priority: 10, weight: 0, port: 2, target: "light"),
            SRVRecord(priority: 10, weight: 1000, port: 3, target: "heavy"),
        ]
        var heavyFirst = 0
        var generator = Seeded(state: 42)
        for _ in 0..<1000 {
            let ordered = NodeDiscovery.order(records, using: &generator)
            #expect(ordered.last?.target == "late")
            if ordered.first?.target == "heavy" { heavyFirst += 1 }
        }
        // Weight 1000 against 0: the heavy record comes first almost always (RFC 2782 gives weight 0 a sliver).
        #expect(heavyFirst > 980)
    }

    @Test func equalWeightsShareTheFirstPlace() {
        let records = [
            SRVRecord(priority: 1, weight: 50, port: 1, target: "a"),
            SRVRecord(priority: 1, weight: 50, port: 2, target: "b"),
        ]
        var generator = Seeded(state: 7)
        var aFirst = 0
        for _ in 0..<1000 where NodeDiscovery.order(records, using: &generator).first?.target == "a" { aFirst += 1 }
        #expect((350...650).contains(aFirst))
    }

    @Test func candidatesAreTheTargetsThenTheDomain() async throws {
        let dns = try await DNSResponder()
        dns.set(
            "_pexapp._tcp.example.com",
            [
                .init(priority: 20, weight: 0, port: 8443, target: "px2.example.com"),
                .init(priority: 10, weight: 0, port: 443, target: "px1.example.com"),
                .init(priority: 30, weight: 0, port: 443, target: ""),
            ]
        )
        let resolver = DNSResolver(server: dns.address, clock: TestClock())  // as above: no timeout races the answer
        let nodes = await NodeDiscovery.candidates(
            for: "example.com",
            resolver: resolver,
            fallbackPort: 443,
            logger: Logger(label: "test")
        )
        #expect(
            nodes.map(\.description) == [
                "https://px1.example.com", "https://px2.example.com:8443", "https://example.com",
            ]
        )
        let none = await NodeDiscovery.candidates(
            for: "other.example",
            resolver: resolver,
            fallbackPort: 8443,
            logger: Logger(label: "test")
        )
        #expect(none.map(\.description) == ["https://other.example:8443"])
        await dns.stop()
    }

    @Test(arguments: [
        [UInt8](),
        [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0],
        [0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 0x0C],
        [0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 0x0C, 0, 33, 0, 1, 0, 0, 0, 60, 0, 200, 0, 1],
    ])
    func malformedAnswersFailCleanly(bytes: [UInt8]) {
        #expect(throws: DNSMessage.Failure.self) { _ = try DNSMessage.parseSRV(bytes, id: 1) }
    }

    @Test func pointerLoopsAreCut() {
        // An answer whose owner name points at itself.
        let bytes: [UInt8] = [0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 12]
        #expect(throws: DNSMessage.Failure.self) { _ = try DNSMessage.parseSRV(bytes, id: 1) }
    }

    @Test func serverAddressesAreSplit() {
        #expect(DNSResolver.split("127.0.0.1:53")! == ("127.0.0.1", 53))
        #expect(DNSResolver.split("[::1]:5353")! == ("::1", 5353))
        #expect(DNSResolver.split("127.0.0.1") == nil)
        #expect(DNSResolver.split("host:0") == nil)
    }
}
