/// How `sesame serve` writes its log lines to standard error.
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    /// swift-log's stream format: `TIME LEVEL label: [metadata] message`.
    case text
    /// One JSON object per line: `ts`, `level`, `label`, `message`, `metadata` (``JSONLogHandler``).
    case json
}
