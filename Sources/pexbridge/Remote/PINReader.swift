import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a PIN from the terminal (no echo) or from standard input; never from the command line.
enum PINReader {
    /// Longer input than this is refused rather than sent.
    static let maxLength = 256

    /// Prompts on the terminal without echo when `terminalOnly` or when standard input is a terminal;
    /// otherwise reads one line of standard input. An empty line is "no PIN".
    /// `limit`: the longest input taken (an SSO token is read the same way, and is longer than a PIN).
    static func read(
        prompt: String,
        terminalOnly: Bool,
        limit: Int = maxLength
    ) async throws(RemoteFailure) -> SecretPIN {
        let outcome: Result<SecretPIN, RemoteFailure> = await onOwnThread {
            if terminalOnly || isatty(STDIN_FILENO) == 1 { return promptOnTerminal(prompt, limit: limit) }
            return readStandardInput(limit: limit)
        }
        return try outcome.get()
    }

    /// Runs blocking reads off the cooperative thread pool.
    private static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    private static func readStandardInput(limit: Int) -> Result<SecretPIN, RemoteFailure> {
        switch readLine(from: STDIN_FILENO, limit: limit) {
        case .line(let bytes): .success(pin(from: bytes))
        case .endOfInput: .failure(.input("no PIN on standard input (send an empty line for no PIN)"))
        case .tooLong: .failure(.input("the PIN on standard input is too long"))
        case .failed: .failure(.input("cannot read standard input"))
        }
    }

    /// Asks on /dev/tty (or on standard input/error when that is the terminal) with echo off.
    private static func promptOnTerminal(_ prompt: String, limit: Int) -> Result<SecretPIN, RemoteFailure> {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        let input: Int32
        let output: Int32
        if tty >= 0 {
            (input, output) = (tty, tty)
        } else if isatty(STDIN_FILENO) == 1 {
            (input, output) = (STDIN_FILENO, STDERR_FILENO)
        } else {
            return .failure(.input("no terminal to ask for the PIN on; use --pin-stdin and pipe it in"))
        }
        defer { if tty >= 0 { close(tty) } }
        var original = termios()
        guard tcgetattr(input, &original) == 0 else {
            return .failure(.input("cannot set up the terminal for the PIN"))
        }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        let guardian = TerminalGuard(descriptor: input, original: original)
        guard tcsetattr(input, TCSAFLUSH, &silent) == 0 else {
            guardian.remove()
            return .failure(.input("cannot turn off the terminal's echo for the PIN"))
        }
        writeText(output, prompt)
        let result = readLine(from: input, limit: limit)
        var restore = original
        tcsetattr(input, TCSAFLUSH, &restore)
        guardian.remove()
        writeText(output, "\n")
        switch result {
        case .line(let bytes): return .success(pin(from: bytes))
        case .endOfInput: return .failure(.input("no PIN entered"))
        case .tooLong: return .failure(.input("the PIN entered is too long"))
        case .failed: return .failure(.input("cannot read the PIN from the terminal"))
        }
    }

    private static func pin(from bytes: [UInt8]) -> SecretPIN {
        SecretPIN(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private enum LineRead {
        case line([UInt8])
        case endOfInput
        case tooLong
        case failed
    }

    /// Reads up to a newline, one byte at a time so that nothing after the line is consumed.
    private static func readLine(from descriptor: Int32, limit: Int) -> LineRead {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = systemRead(descriptor, &byte, 1)
            if count < 0 {
                if errno == EINTR { continue }
                return .failed
            }
            if count == 0 { return bytes.isEmpty ? .endOfInput : .line(bytes) }
            if byte == UInt8(ascii: "\n") { return .line(bytes) }
            bytes.append(byte)
            if bytes.count > limit { return .tooLong }
        }
    }

    private static func writeText(_ descriptor: Int32, _ text: String) {
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            remaining = remaining.dropFirst(written)
        }
    }
}

/// While a PIN is typed with echo off: a termination signal restores the terminal before the process dies,
/// and job-control stops are ignored.
private struct TerminalGuard {
    private static let fatal: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    private var sources: [any DispatchSourceSignal] = []
    private var previous: [(Int32, SignalHandler?)] = []

    init(descriptor: Int32, original: termios) {
        for number in Self.fatal {
            previous.append((number, signal(number, SIG_IGN)))
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                var restore = original
                tcsetattr(descriptor, TCSAFLUSH, &restore)
                // Die of the signal as if it had not been caught. Not raise(): it targets this dispatch thread,
                // which blocks signals, so the signal would stay pending. _exit if it is somehow still alive.
                signal(number, SIG_DFL)
                kill(getpid(), number)
                usleep(200_000)
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
        previous.append((SIGTSTP, signal(SIGTSTP, SIG_IGN)))
    }

    /// Cancels the handlers and puts back the signal dispositions from before.
    func remove() {
        for source in sources { source.cancel() }
        for (number, handler) in previous { signal(number, handler) }
    }
}

#if canImport(Glibc)
private typealias SignalHandler = __sighandler_t

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    Glibc.read(descriptor, buffer, count)
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    Glibc.write(descriptor, buffer, count)
}
#elseif canImport(Darwin)
private typealias SignalHandler = sig_t

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    Darwin.read(descriptor, buffer, count)
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    Darwin.write(descriptor, buffer, count)
}
#endif
