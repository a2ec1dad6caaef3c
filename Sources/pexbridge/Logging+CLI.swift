import ArgumentParser
import Foundation
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Sets up swift-log for a command: to standard error, at `level`.
func bootstrapLogging(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    var logger = Logger(label: "pexbridge")
    logger.logLevel = level
    return logger
}

/// Writes a line to standard output at once (unbuffered), for the lines scripts wait for.
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
