import AsyncHTTPClient
import Locking
import NIOCore

/// Whether the event stream reader should go on after an event.
enum EventDisposition: Sendable {
    case proceed
    case stop
}

extension InfinityClient {
    /// Opens ONE event stream (token in the `token` header); it finishes when the node closes it and throws the
    /// first failure.
    public func events(node: NodeAddress, alias: String, token: String) -> AsyncThrowingStream<InfinityEvent, any Error>
    {
        AsyncThrowingStream { continuation in
            let task = Task {
                do throws(InfinityError) {
                    try await self.streamEvents(
                        node: node,
                        alias: alias,
                        token: token,
                        idleTimeout: self.configuration.eventStreamIdleTimeout,
                        onActivity: {},
                        onOpen: {},
                        onEvent: { event in
                            continuation.yield(event)
                            return .proceed
                        }
                    )
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Reads one event stream until the node closes it, `onEvent` says stop, or the task is cancelled.
    ///
    /// - Parameters:
    ///   - idleTimeout: Fail with `.timeout` when nothing arrives for this long (nil: the caller watches
    ///     `onActivity` itself, as `InfinityConnection` does on its own clock).
    ///   - onActivity: Called for every chunk of bytes the node sends (events and keepalive comments).
    func streamEvents(
        node: NodeAddress,
        alias: String,
        token: String,
        idleTimeout: Duration?,
        onActivity: @escaping @Sendable () -> Void,
        onOpen: @escaping @Sendable () async -> Void,
        onEvent: @escaping @Sendable (InfinityEvent) async -> EventDisposition
    ) async throws(InfinityError) {
        if let setupFailure { throw .unreachable(setupFailure) }
        try validateAlias(alias)
        try await checkNode(node)
        let call = Call(
            method: .GET,
            node: node,
            alias: alias,
            path: "events",
            endpoint: "events",
            token: token,
            pin: nil,
            body: nil,
            idempotent: true,
            timeout: nil
        )
        var eventRequest = makeRequest(call, accept: "text/event-stream")
        eventRequest.headers.add(name: "cache-control", value: "no-cache")
        let request = eventRequest
        let logMetadata = metadata(call)
        logger.trace("infinity request", metadata: logMetadata)

        let http = self.http
        let logger = self.logger
        let httpLogger = self.httpLogger
        let limit = configuration.maxEventBytes
        let timeout = configuration.requestTimeout
        let response: HTTPClientResponse
        do {
            response = try await withTimeout(timeout) {
                try await http.execute(request, deadline: .distantFuture, logger: httpLogger)
            }
        } catch {
            let mapped = Self.map(error)
            logger.debug(
                "infinity request failed",
                metadata: logMetadata.merging(["infinity.error": "\(mapped.logDescription)"]) { $1 }
            )
            throw mapped
        }

        let status = Int(response.status.code)
        logger.debug("infinity response", metadata: logMetadata.merging(["infinity.status": "\(status)"]) { $1 })
        guard status == 200 else {
            let body = try? await withTimeout(timeout) { try await response.body.collect(upTo: 64 * 1024) }
            let raw = RawResponse(
                status: status,
                reason: response.status.reasonPhrase,
                body: body.map { Array(buffer: $0) } ?? []
            )
            let message = Envelope.decode(raw.body)?.message ?? raw.reason
            throw Self.error(status: status, message: message)
        }

        await onOpen()
        let activity = StreamActivity()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var parser = SSEParser(maxEventBytes: limit)
                    for try await buffer in response.body {
                        activity.touch()
                        onActivity()
                        for message in try parser.feed(buffer.readableBytesView) {
                            guard let event = InfinityEvent(message: message) else {
                                logger.warning(
                                    "infinity event with malformed payload skipped",
                                    metadata: ["infinity.event": "\(message.event.escapedForLog(limit: 64))"]
                                )
                                continue
                            }
                            logger.trace(
                                "infinity event",
                                metadata: ["infinity.event": "\(message.event.escapedForLog(limit: 64))"]
                            )
                            if await onEvent(event) == .stop { return }
                        }
                    }
                    logger.debug("infinity event stream closed by the node", metadata: logMetadata)
                }
                if let idleTimeout {
                    group.addTask { try await activity.watch(idleTimeout: idleTimeout) }
                }
                // The reader ends the group (closed, stopped, failed); the watchdog only by throwing.
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let error as SSEParserError {
            throw .badResponse("event stream: \(error)")
        } catch let idle as StreamIdle {
            logger.info(
                "infinity event stream silent; reopening",
                metadata: logMetadata.merging(["infinity.idle": "\(idle.silence)"]) { $1 }
            )
            throw .timeout
        } catch {
            let mapped = Self.map(error)
            logger.debug(
                "infinity event stream failed",
                metadata: logMetadata.merging(["infinity.error": "\(mapped.logDescription)"]) { $1 }
            )
            throw mapped
        }
    }
}

/// The event stream was silent for longer than the idle timeout.
struct StreamIdle: Error {
    var silence: Duration
}

/// When an event stream last delivered bytes; the reader touches it, the watchdog reads it.
final class StreamActivity: Sendable {
    private let last = Mutex(ContinuousClock.now)

    func touch() {
        last.withLock { $0 = .now }
    }

    /// Returns never; throws `StreamIdle` once nothing arrived for `idleTimeout` (or CancellationError).
    func watch(idleTimeout: Duration) async throws {
        while true {
            let silence = ContinuousClock.now - last.withLock { $0 }
            if silence >= idleTimeout { throw StreamIdle(silence: silence) }
            try await steppedSleep(for: idleTimeout - silence)
        }
    }
}
