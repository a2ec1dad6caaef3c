import Locking

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child process started with `posix_spawn`, for the tests.
///
/// Foundation's `Process.run()` on Linux (swift-corelibs-foundation, Swift 6.3.1) scans `/proc/self/fd` with a
/// 256-byte over-read of each directory entry (fixed upstream in swift-corelibs-foundation PR 5472) and crashes
/// now and then in a process with many descriptors open, which a test process running many bridges is. This
/// spawns directly: the child gets the given descriptors as 0, 1 and 2 and every other descriptor is closed.
public final class Spawned: Sendable {
    public let processIdentifier: pid_t
    /// The raw wait status once reaped.
    private let status = Mutex<Int32?>(nil)

    public struct SpawnFailed: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { "posix_spawn failed: \(String(cString: strerror(errno)))" }
    }

    /// Starts `executable` (a path) with `arguments` and `environment`. Each of `stdin`, `stdout`
    /// and `stderr` is a descriptor the child gets in that place, or nil for /dev/null. The caller keeps (and
    /// closes) its own copies.
    public init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        stdin: Int32? = nil,
        stdout: Int32? = nil,
        stderr: Int32? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let source {
                posix_spawn_file_actions_adddup2(&actions, source, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        Self.closeFrom3(&actions)

        let argv = ([executable] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        let env = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { for pointer in env { free(pointer) } }
        var pid: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (env + [nil]).withUnsafeBufferPointer { envBuffer in
                posix_spawn(
                    &pid,
                    executable,
                    &actions,
                    nil,
                    UnsafeMutablePointer(mutating: argvBuffer.baseAddress!),
                    UnsafeMutablePointer(mutating: envBuffer.baseAddress!)
                )
            }
        }
        guard result == 0 else { throw SpawnFailed(errno: result) }
        processIdentifier = pid
    }

    /// True until the child has exited (it is reaped here).
    public var isRunning: Bool {
        status.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            if waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier {
                status = raw
                return false
            }
            return true
        }
    }

    /// The exit code, or the number of the signal that ended the child; -1 while it runs.
    public var terminationStatus: Int32 {
        guard !isRunning, let raw = status.withLock({ $0 }) else { return -1 }
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }

    /// Blocks until the child has exited.
    public func waitUntilExit() {
        while isRunning { usleep(5_000) }
    }

    /// Sends SIGTERM while it runs.
    public func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) is not visible to Swift's Glibc module: look it up.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else {
            // Older C library: close what could be open, one by one.
            for fd in 3..<min(Int32(getdtablesize()), 65_536) where fcntl(fd, F_GETFD) != -1 {
                posix_spawn_file_actions_addclose(&actions, fd)
            }
            return
        }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }
}
