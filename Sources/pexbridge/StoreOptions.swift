import ArgumentParser
import BridgeCore
import BridgeStore
import Foundation
import Logging

/// `serve`'s store options (issue 13): without `--store` nothing changes.
struct StoreOptions: ParsableArguments {
    @Option(
        help: """
            Keep sessions in a store so they outlive this process: sqlite:PATH (one process) or \
            postgres://USER@HOST:PORT/DB (password in PEXBRIDGE_STORE_PASSWORD).
            """
    )
    var store: String?

    @Option(help: "The key that encrypts node tokens in the store: 32 bytes, raw or base64 (required with --store).")
    var storeKeyFile: String?

    @Option(help: "A file holding PostgreSQL's password (e.g. a systemd credential); the environment works too.")
    var storePasswordFile: String?

    @Option(help: "This process's name among the store's instances. (default: the host name)")
    var instance: String?

    @Option(help: "Seconds a session's lease runs unless renewed. (default: 10)")
    var leaseSeconds: Int?

    @Option(
        help: "On SIGTERM with a store: handover (sessions stay in their conferences) or release. (default: handover)"
    )
    var onExit: String?

    /// Opens the store named on the command line or in the config file; nil without one.
    /// - Parameters:
    ///   - file: the config file's settings (the command line wins).
    ///   - logger: the store's logger.
    /// - Throws: `ValidationError` or `StoreError`, worded for the operator.
    func open(_ file: ConfigFile, logger: Logger) async throws -> StoreSettings? {
        guard let url = store ?? file.store else {
            if storeKeyFile ?? file.store_key_file != nil || onExit ?? file.on_exit != nil {
                throw ValidationError("--store-key-file and --on-exit need --store")
            }
            return nil
        }
        let location = try StoreLocation(parsing: url)
        guard let keyFile = storeKeyFile ?? file.store_key_file else {
            throw ValidationError("--store needs --store-key-file (e.g. head -c 32 /dev/urandom > store.key)")
        }
        let key = try StoreKey(contentsOf: keyFile)
        let exitText = onExit ?? file.on_exit ?? StoreSettings.ExitPolicy.handover.rawValue
        guard let exitPolicy = StoreSettings.ExitPolicy(rawValue: exitText) else {
            throw ValidationError("--on-exit must be handover or release")
        }
        let seconds = leaseSeconds ?? file.lease_seconds ?? 10
        guard seconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
        let name = instance ?? file.instance ?? ProcessInfo.processInfo.hostName
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains) else {
            throw ValidationError("--instance must be 1 to 64 of A-Z, a-z, 0-9, '.', '-' and '_'")
        }
        var password = ProcessInfo.processInfo.environment["PEXBRIDGE_STORE_PASSWORD"]
        if let passwordFile = storePasswordFile ?? file.store_password_file {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw ValidationError("cannot read --store-password-file \(passwordFile)")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        // Leases and the bus name this process, not only its instance: a second process started with the same
        // name (the default host name, on one machine) is another holder, never mistaken for this one.
        let suffix = String((0..<6).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement()! })
        let holder = "\(name)~\(suffix)"
        let opened = try await openSessionStore(
            location,
            key: key,
            password: password,
            instance: holder,
            logger: logger
        )
        logger.info(
            "store open",
            metadata: [
                "store": "\(location)", "instance": "\(name)", "holder": "\(holder)", "lease_seconds": "\(seconds)",
            ]
        )
        return StoreSettings(
            store: opened,
            instance: name,
            holder: holder,
            leaseDuration: .seconds(seconds),
            onExit: exitPolicy
        )
    }
}
