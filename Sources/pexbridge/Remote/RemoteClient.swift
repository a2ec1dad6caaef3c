import BridgeClient
import BridgeProtocol
import Logging

/// An open, authenticated connection to a bridge, with requests that fail as `RemoteFailure`.
struct RemoteClient: Sendable {
    /// The underlying protocol connection.
    let connection: BridgeConnection
    /// How long to wait for each answer.
    let timeout: Duration

    /// Connects to the bridge named by `options` and authenticates when a token is given or required.
    static func open(_ options: RemoteOptions) async throws(RemoteFailure) -> RemoteClient {
        let token = try options.resolvedToken()
        let tls = try options.tlsConfiguration()
        let timeout = options.timeoutDuration
        // The client library's own logging stays off: a CLI's streams belong to its output.
        let quiet = Logger(label: "pexbridge.remote") { _ in SwiftLogNoOpLogHandler() }
        let connection: BridgeConnection
        do {
            connection = try await BridgeConnection.connect(
                url: options.url,
                subprotocol: ProtocolInfo.subprotocol,
                tlsConfiguration: tls,
                serverName: options.serverName,
                timeout: timeout,
                logger: quiet
            )
        } catch let error as BridgeClientError {
            throw RemoteFailure(error)
        } catch {
            throw .connection("cannot connect to the bridge: \(error)")
        }
        let client = RemoteClient(connection: connection, timeout: timeout)
        do {
            try await client.authenticate(token, required: connection.hello.authRequired)
        } catch {
            await connection.close()
            throw error
        }
        return client
    }

    private func authenticate(_ token: ClientToken?, required: Bool) async throws(RemoteFailure) {
        guard let token else {
            if required {
                throw .authentication(
                    "the bridge requires a token: give --token-file FILE or set \(RemoteOptions.tokenEnvironmentVariable)"
                )
            }
            return
        }
        let outcome: Result<ResultData, ErrorBody>
        do {
            outcome = try await connection.request(.auth(token: token.secret), timeout: timeout)
        } catch let error as BridgeClientError {
            if case .closed = error { throw .authentication("the bridge closed the connection during authentication") }
            throw RemoteFailure(error)
        } catch {
            throw .connection("\(error)")
        }
        if case .failure(let error) = outcome {
            throw .authentication("authentication failed: \(error.code.rawValue): \(error.message)")
        }
    }

    /// Sends a request and returns its data, or throws the bridge's refusal or a connection failure.
    func call(_ request: Request) async throws(RemoteFailure) -> ResultData {
        let outcome: Result<ResultData, ErrorBody>
        do {
            outcome = try await connection.request(request, timeout: timeout)
        } catch let error as BridgeClientError {
            throw RemoteFailure(error)
        } catch {
            throw .connection("\(error)")
        }
        switch outcome {
        case .success(let data): return data
        case .failure(let error): throw .rejected(error)
        }
    }

    /// Sends `join` or `pin` and returns the session snapshot of the result.
    func session(_ request: Request) async throws(RemoteFailure) -> SessionSnapshot {
        let data = try await call(request)
        guard case .session(let snapshot) = data else {
            throw .connection("unexpected answer from the bridge to \(request.type.rawValue)")
        }
        return snapshot
    }

    /// Every live session (`list`).
    func list() async throws(RemoteFailure) -> [SessionSnapshot] {
        let data = try await call(.list)
        guard case .sessions(let snapshots, _) = data else {
            throw .connection("unexpected answer from the bridge to list")
        }
        return snapshots
    }

    /// Closes the connection normally.
    func close() async {
        await connection.close()
    }
}
