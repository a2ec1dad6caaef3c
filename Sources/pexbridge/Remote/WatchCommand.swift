import ArgumentParser
import BridgeClient
import BridgeProtocol
import Foundation
import Locking
import UnixSignals

/// `pexbridge watch`: prints a session's (or every session's) events as they happen.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print live events of one session, or of all sessions, one line each.",
        discussion: """
            Human lines look like `12:03:04 s-7kq2mx9tbn  #12 participant_joined  Alice (guest)`; with --json each \
            line is the event's JSON frame. Runs until interrupted (SIGINT or SIGTERM: exit 0), until the \
            watched session ends (exit 0), or until the bridge closes the connection (exit 3). Standard error \
            says when the subscription is in place and where the sessions stand.

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session to watch; all sessions (including new ones) when omitted.")
    var session: String?

    @Flag(help: "Print each event as its JSON frame.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Replay the events after this seq first (with SESSION), if the bridge still holds them.",
            valueName: "SEQ"
        )
    )
    var resumeFrom: Int?

    @Option(
        help: ArgumentHelp(
            "Also print these ephemeral events (no #seq): speakers, captions (comma-separated).",
            valueName: "KINDS"
        )
    )
    var include: String?

    /// The `include` kinds named by `--include`.
    var includeKinds: Set<EphemeralKind> {
        get throws {
            guard let include else { return [] }
            var kinds: Set<EphemeralKind> = []
            for name in include.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            where !name.isEmpty {
                guard let kind = EphemeralKind(rawValue: name) else {
                    throw ValidationError("--include takes speakers and captions, not \(name)")
                }
                kinds.insert(kind)
            }
            return kinds
        }
    }

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func validate() throws {
        if resumeFrom != nil && session == nil { throw ValidationError("--resume-from needs a SESSION") }
        if let resumeFrom, resumeFrom < 0 { throw ValidationError("--resume-from must be 0 or more") }
        _ = try includeKinds
    }

    /// How a watch ended.
    enum Ending: Sendable {
        case interrupted
        case sessionEnded
        case failed(RemoteFailure)
        case cancelled
    }

    /// Holds the client once it is open, so that it can be closed after the watch ends however it ends.
    final class ClientSlot: Sendable {
        let client = Mutex<RemoteClient?>(nil)
    }

    func run() async throws {
        // Caught from here on (the init returns once the handlers are registered), until the watch ends.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let slot = ClientSlot()
        let (options, session, json, since) = (self.remote, self.session, self.json, self.resumeFrom)
        let include = (try? includeKinds) ?? []
        let ending = await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                for await _ in signals { return .interrupted }
                return .cancelled
            }
            group.addTask {
                do throws(RemoteFailure) {
                    let client = try await RemoteClient.open(options)
                    slot.client.withLock { $0 = client }
                    return try await Self.watch(client, session: session, since: since, include: include, json: json)
                } catch {
                    return Task.isCancelled ? .cancelled : .failed(error)
                }
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        if let client = slot.client.withLock({ $0 }) { await client.close() }
        switch ending {
        case .interrupted, .sessionEnded, .cancelled: return
        case .failed(let failure): throw RemoteRunner.exit(failure)
        }
    }

    /// Subscribes and prints events until the stream ends.
    static func watch(
        _ client: RemoteClient,
        session: String?,
        since: Int?,
        include: Set<EphemeralKind> = [],
        json: Bool
    ) async throws(RemoteFailure)
        -> Ending
    {
        let data = try await client.call(.subscribe(session: session, sinceSeq: since, include: include))
        guard case .sessions(let snapshots, let replayed) = data else {
            throw .connection("unexpected answer from the bridge to subscribe")
        }
        for snapshot in snapshots { printError(SessionSummary.sentence(snapshot)) }
        if let since, replayed == false {
            printError("events after #\(since) are no longer held; the state above is where the session stands now")
        }
        if let session {
            printError("watching \(session); Ctrl-C to stop")
        } else {
            printError("watching all sessions (\(snapshots.count) live); Ctrl-C to stop")
        }
        var formatter = EventFormatter()
        formatter.learn(snapshots)
        for await incoming in client.connection.incoming {
            guard case .message(let message) = incoming else { continue }
            switch message {
            case .event(let event):
                if let session, event.session != session { continue }
                if json {
                    printLine(String(decoding: WireJSON.encode(message), as: UTF8.self))
                } else {
                    printLine(formatter.line(event))
                }
                if session != nil, case .state(let change) = event.payload, change.state.isFinal {
                    return .sessionEnded
                }
            case .ephemeral(let event):
                if let session, event.session != session { continue }
                printLine(json ? String(decoding: WireJSON.encode(message), as: UTF8.self) : formatter.line(event))
            case .error(let error):
                printError("bridge error: \(error.code.rawValue): \(error.message)")
            case .hello, .result:
                continue
            }
        }
        if Task.isCancelled { return .cancelled }
        let connection = client.connection
        throw RemoteFailure(BridgeClientError.closed(code: connection.closeCode, reason: connection.closeReason))
    }
}
