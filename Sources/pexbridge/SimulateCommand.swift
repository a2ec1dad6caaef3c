import ArgumentParser
import Foundation
import InfinitySimulator
import Logging
import ServiceLifecycle

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run only the conference-node simulator (plain HTTP), with its demo rooms."
    )

    @Option(help: "Address to listen on (HOST:PORT).")
    var listen = ListenAddress(host: "127.0.0.1", port: 8081)

    @Option(help: "Seconds a token lives without refresh.")
    var tokenExpiry = Int(SimulatorConfiguration.demo().tokenExpiry.components.seconds)

    @Flag(help: "Scripted participants join, leave, mute and chat in every room.")
    var activity = false

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    @Option(help: "Extra open rooms bench.1 ... bench.N, empty at start (benchmarks spread sessions over them).")
    var benchRooms = 0

    func run() async throws {
        MemoryPolicy.apply()
        let logger = bootstrapLogging(level: logLevel)
        var configuration = SimulatorConfiguration.demo(host: listen.host, port: listen.port)
        configuration.tokenExpiry = .seconds(tokenExpiry)
        configuration.demoActivity = activity
        if benchRooms > 0 { configuration.rooms += (1...benchRooms).map { SimulatedRoom(alias: "bench.\($0)") } }
        let simulator = InfinitySimulator(configuration: configuration, logger: logger)
        // Bound before the group runs so the port can be printed; printed once the group's signal handlers are in.
        let port = try await simulator.start()
        var lines = ["simulator listening on \(ListenAddress.display(host: listen.host, port: port)); rooms:"]
        for room in configuration.rooms {
            lines.append("  \(room.alias.padding(toLength: 14, withPad: " ", startingAt: 0)) \(room.demoSummary)")
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [simulator, Announcement(lines: lines, logger: logger)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
