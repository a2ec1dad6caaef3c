import ArgumentParser
import BridgeClient
import Foundation

/// Runs a remote-control command: connects, runs its body, closes, and turns failures into exit statuses.
struct RemoteRunner {
    let options: RemoteOptions

    /// Opens a client, runs `body` with it, and exits with the status its outcome calls for.
    func run(_ body: (RemoteClient) async throws(RemoteFailure) -> Void) async throws {
        do throws(RemoteFailure) {
            let client = try await RemoteClient.open(options)
            do throws(RemoteFailure) {
                try await body(client)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        } catch {
            throw Self.exit(error)
        }
    }

    /// Prints `error: …` on standard error and returns the `ExitCode` to throw.
    static func exit(_ failure: RemoteFailure) -> ExitCode {
        printError("error: \(failure)")
        return failure.exitCode.exitCode
    }
}

/// Writes a line to standard error at once.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
