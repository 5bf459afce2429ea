import Foundation
import SesameCore

/// The `SESAME_*` values in effect and where each came from: defaults, then the configuration
/// file, then the environment, then flags, each overriding the one before. Every source is
/// read through ``ServerSettings/settings``, so that a key unknown there is an error whatever
/// source it comes from.
///
/// The configuration file is a JSON object whose keys are the settings' variables without
/// `SESAME_`, lower-cased (`SESAME_REFRESH_GRACE` is `"refresh_grace"`), with string, number or
/// boolean values:
///
/// ```json
/// { "database_url": "sqlite:/var/lib/sesame/sesame.sqlite", "refresh_grace": 5, "log_format": "json" }
/// ```
public struct SettingSources: Sendable {
    /// Where a value came from.
    public enum Source: String, Sendable {
        case defaultValue = "default"
        case file
        case environment
        case flag
    }

    /// The merged `SESAME_*` values (only those some source set).
    public private(set) var values: [String: String] = [:]
    /// The source of each entry of ``values``.
    public private(set) var sources: [String: Source] = [:]
    /// The configuration file read, if any.
    public private(set) var configFile: String?

    /// Merges the sources.
    ///
    /// - Parameters:
    ///   - environment: the process environment; only `SESAME_*` keys of ``ServerSettings/settings``
    ///     (and `SESAME_CONFIG_FILE`) are read.
    ///   - flags: `SESAME_*` key → value given as flags (``parseFlags(_:)``).
    ///   - configFile: `--config`; else `SESAME_CONFIG_FILE`; else none.
    /// - Throws: ``SesameError/Code/invalidInput`` for an unreadable or invalid file, naming any
    ///   unknown key.
    public static func resolve(environment: [String: String], flags: [String: String] = [:], configFile: String? = nil)
        throws -> SettingSources
    {
        var merged = SettingSources()
        let known = Set(ServerSettings.settings.map(\.key))
        merged.configFile = configFile ?? environment["SESAME_CONFIG_FILE"].map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
        if let path = merged.configFile {
            for (key, value) in try readConfigFile(path) { merged.set(key, value, from: .file) }
        }
        for (key, value) in environment where known.contains(key) { merged.set(key, value, from: .environment) }
        for (key, value) in flags {
            guard known.contains(key) else { throw SesameError(.invalidInput, "unknown setting \(key)") }
            merged.set(key, value, from: .flag)
        }
        return merged
    }

    mutating func set(_ key: String, _ value: String, from source: Source) {
        values[key] = value
        sources[key] = source
    }

    /// The validated settings.
    /// - Throws: ``SesameError/Code/invalidInput`` naming the first invalid variable.
    public func settings() throws -> ServerSettings { try ServerSettings.fromEnvironment(values) }

    /// The `SESAME_*` key → text of a configuration file.
    /// - Throws: ``SesameError/Code/invalidInput`` for a file that cannot be read, is not a JSON
    ///   object, has an unknown key, or a value that is not a string, number or boolean.
    public static func readConfigFile(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SesameError(.invalidInput, "cannot read the configuration file \(path)")
        }
        let object: [String: FileValue]
        do {
            object = try JSONDecoder().decode([String: FileValue].self, from: data)
        } catch {
            throw SesameError(
                .invalidInput, "the configuration file \(path) must be one JSON object of strings, numbers and booleans")
        }
        let byFileKey = Dictionary(uniqueKeysWithValues: ServerSettings.settings.map { ($0.fileKey, $0.key) })
        var result: [String: String] = [:]
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let key = byFileKey[name] else {
                throw SesameError(.invalidInput, "unknown key \"\(name)\" in the configuration file \(path)")
            }
            result[key] = value.text
        }
        return result
    }

    /// Turns `serve`'s setting flags (`--refresh-grace 5`, `--refresh-grace=5`) into
    /// `SESAME_*` key → value.
    /// - Throws: ``SesameError/Code/invalidInput`` for an unknown flag or one without a value.
    public static func parseFlags(_ arguments: [String]) throws -> [String: String] {
        let byFlag = Dictionary(uniqueKeysWithValues: ServerSettings.settings.filter(\.hasFlag).map { ($0.flag, $0.key) })
        var result: [String: String] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            guard let key = byFlag[name] else { throw SesameError(.invalidInput, "unknown option \(name)") }
            if value == nil {
                index += 1
                guard index < arguments.endIndex else { throw SesameError(.invalidInput, "\(name) needs a value") }
                value = arguments[index]
            }
            result[key] = value
            index += 1
        }
        return result
    }

    /// One line per setting for `sesame config check`: variable, effective value (secrets
    /// masked, database passwords masked), source.
    public func report() -> [(key: String, value: String, source: Source)] {
        ServerSettings.settings.map { setting in
            guard let raw = values[setting.key] else { return (setting.key, setting.defaultText, .defaultValue) }
            var shown = raw
            if setting.isSecret {
                shown = "****"
            } else if setting.key == "SESAME_DATABASE_URL" {
                shown = (try? DatabaseURL(parsing: raw.trimmingWhitespace()).description) ?? "(invalid URL, not shown)"
            }
            return (setting.key, shown, sources[setting.key] ?? .environment)
        }
    }

    /// A scalar of the configuration file, as the text an environment variable would hold.
    struct FileValue: Decodable {
        let text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let b = try? container.decode(Bool.self) {
                text = b ? "true" : "false"
            } else if let i = try? container.decode(Int64.self) {
                text = String(i)
            } else if let d = try? container.decode(Double.self) {
                text = String(d)
            } else {
                text = try container.decode(String.self)
            }
        }
    }
}
