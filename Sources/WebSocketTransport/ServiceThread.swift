import CLibWebSockets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable OS thread that runs one closure (the lws service loop).
///
/// `@unchecked Sendable` is safe: the only state is the pthread handle, an immutable process-wide
/// identifier that `pthread_join` / `pthread_detach` accept from any thread; the owner calls exactly
/// one of them once (``WebSocketServer`` guarantees that through its lifecycle lock).
final class ServiceThread: @unchecked Sendable {
    private let handle: pthread_t

    private final class Body {
        let run: () -> Void
        init(run: @escaping () -> Void) {
            self.run = run
        }
    }

    /// Starts a thread running `body`, which moves to the new thread.
    init(body: @escaping () -> Void) throws(TransportError) {
        let box = Unmanaged.passRetained(Body(run: body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let result = pthread_create(
            &thread,
            nil,
            { argument in
                guard let argument else { return nil }
                let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
                // Otherwise it keeps the name of the thread that started it (a Swift concurrency worker), which
                // makes `top -H` and profiles misleading.
                pb_set_thread_name("lws-service")
                body.run()
                return nil
            },
            box
        )
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw .threadStartFailed(errno: result)
        }
        #if canImport(Darwin)
        handle = thread!
        #else
        handle = thread
        #endif
    }

    /// Waits for the thread to end.
    func join() {
        pthread_join(handle, nil)
    }

    /// Lets the thread end on its own.
    func detach() {
        pthread_detach(handle)
    }
}
