import Foundation
import TestSpawn

// The certificate helper moved to TestSupport (`TestCertificate`, made once with `TestCertificate.shared()`).

/// Runs a program to completion and returns its exit status (output discarded); blocks the calling thread.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
    let process = try Spawned(
        executable: executable,
        arguments: arguments,
        environment: ProcessInfo.processInfo.environment
    )
    process.waitUntilExit()
    return process.terminationStatus
}
