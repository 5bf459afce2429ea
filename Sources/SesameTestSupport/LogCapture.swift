import Logging
import SesameTelemetry
import Synchronization

/// Collects log lines in memory, for tests that assert what is (and is never) logged,
/// without bootstrapping the global logging system.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// A logger at `level` that writes into this capture, with the request id of the request
    /// being served (``RequestID``) in every line's metadata, as the server's logger has.
    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "sesame-capture") { label in
            Handler(capture: self, label: label, metadataProvider: RequestID.metadataProvider)
        }
        logger.logLevel = level
        return logger
    }

    /// Every line so far: level, message and metadata.
    public var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        let label: String
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(merged) \(event.source) \(event.file):\(event.line)")
        }
    }
}
