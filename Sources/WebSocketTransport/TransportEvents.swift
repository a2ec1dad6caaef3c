import Locking

/// The transport's events for the core: a bounded, single-consumer async sequence.
///
/// Unlike an unbounded `AsyncStream`, it keeps count of the messages (``TransportEvent/text(_:_:)`` and
/// ``TransportEvent/binary(_:)``) that were yielded and not yet consumed, per connection and in total, the way
/// NIOAsyncSequenceProducer's high/low watermark strategy does. The service thread asks it, for every message,
/// whether that connection's reads must pause; consuming a message is what returns the credit, and a paused
/// connection is resumed (through the command queue) once its backlog and the total are at their low marks.
/// `.opened` and `.closed` events are never held back: there are at most two per connection.
///
/// Iterate it from one task at a time (`for await event in server.events`); it ends after the server stops.
public struct TransportEvents: AsyncSequence, Sendable {
    public typealias Element = TransportEvent
    public typealias Failure = Never

    let queue: InboundQueue

    public func makeAsyncIterator() -> Iterator {
        Iterator(queue: queue)
    }

    /// Takes events in order; returns nil once the server has stopped and every event was taken.
    public struct Iterator: AsyncIteratorProtocol {
        let queue: InboundQueue

        public mutating func next() async -> TransportEvent? {
            await queue.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> TransportEvent? {
            await queue.next()
        }
    }
}

/// Shared state behind ``TransportEvents``: the buffer, the backlog counts and the one waiting consumer.
final class InboundQueue: Sendable {
    private struct State {
        var buffer: [TransportEvent] = []
        var head = 0
        /// Unconsumed messages per connection (absent: none).
        var backlog: [ConnectionID: Int] = [:]
        var total = 0
        var peak = 0
        /// Connections whose reads were paused for their backlog or the total, waiting for credit.
        var paused: Set<ConnectionID> = []
        var waiter: CheckedContinuation<TransportEvent?, Never>?
        var finished = false
    }

    /// Whether the service thread should go on reading a connection after a message.
    enum Credit: Equatable {
        case keepReading
        case pauseReads
    }

    private let state = Mutex(State())
    private let perConnection: InboundWatermarks
    private let overall: InboundWatermarks
    /// Asks the service thread to resume these connections' reads.
    private let resume: @Sendable ([ConnectionID]) -> Void

    /// - Parameters:
    ///   - perConnection: backlog bounds of one connection.
    ///   - overall: backlog bounds of all connections together.
    ///   - resume: called (outside the lock) with connections whose reads may resume.
    init(
        perConnection: InboundWatermarks,
        overall: InboundWatermarks,
        resume: @escaping @Sendable ([ConnectionID]) -> Void
    ) {
        self.perConnection = perConnection
        self.overall = overall
        self.resume = resume
    }

    /// Unconsumed messages now, and the most there ever were.
    var backlog: (current: Int, peak: Int) {
        state.withLock { ($0.total, $0.peak) }
    }

    /// Queues an `.opened` or `.closed` event (never held back).
    func yield(_ event: TransportEvent) {
        _ = push(event, message: nil)
    }

    /// Queues a message of `id`; the answer says whether that connection's reads must pause now.
    func yieldMessage(_ event: TransportEvent, of id: ConnectionID) -> Credit {
        push(event, message: id)
    }

    private func push(_ event: TransportEvent, message id: ConnectionID?) -> Credit {
        var credit = Credit.keepReading
        let waiter = state.withLock { state -> CheckedContinuation<TransportEvent?, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                // The consumer is waiting, so nothing is buffered: the event is consumed at once, no credit used.
                state.waiter = nil
                return waiter
            }
            state.buffer.append(event)
            if let id {
                let count = state.backlog[id, default: 0] + 1
                state.backlog[id] = count
                state.total += 1
                state.peak = max(state.peak, state.total)
                if count >= perConnection.high || state.total >= overall.high {
                    state.paused.insert(id)
                    credit = .pauseReads
                }
            }
            return nil
        }
        waiter?.resume(returning: event)
        return credit
    }

    /// Ends the sequence once the buffered events are taken.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<TransportEvent?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.buffer.count == state.head ? state.waiter : nil
        }
        waiter?.resume(returning: nil)
    }

    /// The next event, waiting for one; nil when finished (or the waiting task is cancelled).
    func next() async -> TransportEvent? {
        if let (event, resumed) = takeBuffered() {
            if !resumed.isEmpty { resume(resumed) }
            return event
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TransportEvent?, Never>) in
                let ready = state.withLock { state -> (TransportEvent?, [ConnectionID], Bool) in
                    if state.head < state.buffer.count {
                        let (event, resumed) = pop(&state)
                        return (event, resumed, true)
                    }
                    if state.finished || Task.isCancelled { return (nil, [], true) }
                    precondition(state.waiter == nil, "TransportEvents has one consumer at a time")
                    state.waiter = continuation
                    return (nil, [], false)
                }
                if ready.2 {
                    if !ready.1.isEmpty { resume(ready.1) }
                    continuation.resume(returning: ready.0)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<TransportEvent?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    private func takeBuffered() -> (TransportEvent, [ConnectionID])? {
        let popped = state.withLock { state -> (TransportEvent, [ConnectionID])? in
            guard state.head < state.buffer.count else { return nil }
            return pop(&state)
        }
        return popped
    }

    private func pop(_ state: inout State) -> (TransportEvent, [ConnectionID]) {
        let event = state.buffer[state.head]
        state.head += 1
        if state.head == state.buffer.count {
            state.buffer.removeAll(keepingCapacity: state.buffer.count <= 1024)
            state.head = 0
        } else if state.head >= 1024, state.head * 2 >= state.buffer.count {
            state.buffer.removeFirst(state.head)
            state.head = 0
        }
        return (event, take(event, &state))
    }

    /// Returns a consumed message's credit; the answer lists connections whose reads may resume now.
    private func take(_ event: TransportEvent, _ state: inout State) -> [ConnectionID] {
        let id: ConnectionID
        switch event {
        case .text(let messageOf, _), .binary(let messageOf):
            id = messageOf
        case .opened, .closed:
            return []
        }
        let count = state.backlog[id, default: 1] - 1
        state.backlog[id] = count > 0 ? count : nil
        state.total -= 1
        guard !state.paused.isEmpty, state.total <= overall.low else { return [] }
        if state.total == overall.low || state.paused.contains(id) {
            // Something may resume: the total just reached its low mark, or this connection drained.
            let ready = state.paused.filter { state.backlog[$0, default: 0] <= perConnection.low }
            state.paused.subtract(ready)
            return ready.sorted()
        }
        return []
    }
}
