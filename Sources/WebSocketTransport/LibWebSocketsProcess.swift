import CLibWebSockets
import Locking
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide side of libwebsockets, the one piece of global state in this module.
///
/// lws keeps two things per process, not per context: the log emitter (lws 4.1's `lws_set_log_level` takes a
/// bare C function that gets a level and a line, no context, vhost or wsi; per-context log sinks arrived only in
/// lws 4.3) and, for TLS, OpenSSL ex-data indices that every `lws_create_context` reassigns. So log lines are
/// routed by the thread that emits them: lws logs from inside `lws_create_context` / `lws_context_destroy`
/// (run here, under ``serialized(for:_:)``, which marks the calling thread as that server's) and from its
/// service loop, which runs on the server's own thread (marked for the thread's whole life). A line from a
/// thread that belongs to no server goes to a fallback logger, never to another server's. Context creation and
/// destruction are serialised so that servers started in parallel (tests) never race on lws's globals.
let libWebSocketsProcess = LibWebSocketsProcess()

/// See ``libWebSocketsProcess``.
final class LibWebSocketsProcess: Sendable {
    private struct Sinks {
        var emitterInstalled = false
        var loggers: [UInt: Logger] = [:]
        /// Server key by emitting thread.
        var threads: [UInt: UInt] = [:]
    }

    private let sinks = Mutex(Sinks())
    /// Counts context creations and destructions; the count is incidental, the lock is the point. (A lock over
    /// `Void` would do, but ThreadSanitizer's Swift access checks see the zero-sized value at the lock object's
    /// own address and report a race that is not there.)
    private let lifecycleLock = Mutex(0)
    private let fallback = Logger(label: "libwebsockets")

    /// Routes lws log lines of `server`'s threads to `logger`; installs the emitter the first time.
    func register(server: UInt, logger: Logger) {
        sinks.withLock { sinks in
            sinks.loggers[server] = logger
            if !sinks.emitterInstalled {
                sinks.emitterInstalled = true
                lws_set_log_level(pb_lws_log_errors_and_warnings()) { level, line in
                    libWebSocketsProcess.emit(level: level, line: line)
                }
            }
        }
    }

    /// Stops routing lws log lines to `server`'s logger.
    func unregister(server: UInt) {
        sinks.withLock { sinks in
            sinks.loggers[server] = nil
            sinks.threads = sinks.threads.filter { $0.value != server }
        }
    }

    /// Marks the calling thread as `server`'s: lws lines it emits go to that server's logger.
    func bindCurrentThread(to server: UInt) {
        sinks.withLock { $0.threads[Self.currentThread] = server }
    }

    /// Undoes ``bindCurrentThread(to:)``.
    func unbindCurrentThread() {
        _ = sinks.withLock { $0.threads.removeValue(forKey: Self.currentThread) }
    }

    /// Runs `body` (an lws context creation or destruction for `server`) while no other one runs, with the
    /// calling thread's lws lines routed to `server`'s logger.
    func serialized(for server: UInt, _ body: () -> Void) {
        lifecycleLock.withLock { count in
            count &+= 1
            let previous = sinks.withLock { $0.threads.updateValue(server, forKey: Self.currentThread) }
            body()
            sinks.withLock { $0.threads[Self.currentThread] = previous }
        }
    }

    private static var currentThread: UInt {
        #if canImport(Glibc)
        UInt(pthread_self())
        #else
        UInt(bitPattern: pthread_self())
        #endif
    }

    private func emit(level: Int32, line: UnsafePointer<CChar>?) {
        guard let line else { return }
        let logger =
            sinks.withLock { sinks in
                sinks.threads[Self.currentThread].flatMap { sinks.loggers[$0] }
            } ?? fallback
        var text = String(cString: line)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        if level & pb_lws_log_level_error() != 0 {
            logger.error("libwebsockets: \(text)")
        } else {
            logger.warning("libwebsockets: \(text)")
        }
    }
}
