import ArgumentParser
import BridgeProtocol

@main
struct PexbridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pexbridge",
        abstract: "Holds Pexip Infinity conference connections and serves them to front ends over WebSocket.",
        version: ProtocolInfo.bridgeVersion,
        subcommands: [
            ServeCommand.self, SimulateCommand.self, SchemaCommand.self,
            JoinCommand.self, PINCommand.self, LeaveCommand.self, ListCommand.self, WatchCommand.self,
            ControlCommand.self, SayCommand.self, ExtensionCommand.self, IdPCommand.self, SSOTokenCommand.self,
        ],
        defaultSubcommand: nil
    )
}
