import CLibWebSockets
import Locking

/// The lws context pointer, used off the service thread only to call `lws_cancel_service`.
///
/// `@unchecked Sendable` is safe: lws documents `lws_cancel_service` as callable from any thread, and
/// ``CommandQueue`` calls it only under its lock while the context is attached; the service thread
/// detaches it under the same lock before it destroys the context.
struct ContextHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Lock-protected queue of commands for the service thread, with a coalesced wake-up.
final class CommandQueue: Sendable {
    private struct State {
        var commands: [Command] = []
        var context: ContextHandle?
        var wakePending = false
    }

    private let state = Mutex(State())

    /// Queues a command and wakes the service loop; false when no loop is running.
    @discardableResult
    func push(_ command: Command) -> Bool {
        state.withLock { state in
            guard let context = state.context else { return false }
            state.commands.append(command)
            if !state.wakePending {
                state.wakePending = true
                lws_cancel_service(context.pointer)
            }
            return true
        }
    }

    /// Starts accepting commands for this context.
    func attach(_ context: ContextHandle) {
        state.withLock { $0.context = context }
    }

    /// Stops accepting commands; after this returns nobody touches the context from another thread.
    func detach() {
        state.withLock { state in
            state.context = nil
            state.commands.removeAll()
        }
    }

    /// Moves every queued command into `batch` (which must be empty), keeping both buffers' capacity.
    func take(into batch: inout [Command]) {
        state.withLock { state in
            swap(&state.commands, &batch)
            state.wakePending = false
        }
    }
}
