import CLibWebSockets
import Logging
import Synchronization

/// The process-wide side of libwebsockets, the one piece of global state in this module.
///
/// lws keeps two things per process, not per context: the log emitter (`lws_set_log_level` takes a
/// bare C function and no context pointer) and, for TLS, OpenSSL ex-data indices that every
/// `lws_create_context` reassigns. So one lock-protected holder routes lws log lines to the logger of
/// the most recently started, still running server, and context creation and destruction are
/// serialised so that servers started in parallel (tests) never race on lws's globals.
let libWebSocketsProcess = LibWebSocketsProcess()

/// See ``libWebSocketsProcess``.
final class LibWebSocketsProcess: Sendable {
    private struct Sinks {
        var emitterInstalled = false
        var loggers: [(server: UInt, logger: Logger)] = []
    }

    private let sinks = Mutex(Sinks())
    private let lifecycleLock = Mutex(())

    /// Routes lws log lines to `logger` while `server` runs; installs the emitter the first time.
    func register(server: UInt, logger: Logger) {
        sinks.withLock { sinks in
            sinks.loggers.append((server, logger))
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
            sinks.loggers.removeAll { $0.server == server }
        }
    }

    /// Runs `body` (an lws context creation or destruction) while no other one runs.
    func serialized(_ body: () -> Void) {
        lifecycleLock.withLock { _ in body() }
    }

    private func emit(level: Int32, line: UnsafePointer<CChar>?) {
        guard let line, let logger = sinks.withLock({ $0.loggers.last?.logger }) else { return }
        var text = String(cString: line)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        if level & pb_lws_log_level_error() != 0 {
            logger.error("libwebsockets: \(text)")
        } else {
            logger.warning("libwebsockets: \(text)")
        }
    }
}
