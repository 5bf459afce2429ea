import Foundation

/// A settings value type whose `init()` holds every default: the defaults shown to operators
/// are read from it, so that each default is written once, where the property is declared.
public protocol SettingsTarget: Sendable {
    init()
}

/// One setting, defined once: its `SESAME_*` variable, a one-line help, where its value goes
/// and how its text is checked. Everything else is derived from these:
///
/// - the flag (`SESAME_REFRESH_GRACE` is `--refresh-grace`) and the configuration file's key
///   (`refresh_grace`), from the variable's name;
/// - the default shown by `--help` and `sesame config check`, from `Target()`;
/// - the error for a bad value (`SESAME_BCRYPT_COST must be from 4 to 31`), from the rule.
///
/// Tables of settings (``SesameConfiguration/settings``, and the server's, which includes them)
/// drive the environment, the flags, the configuration file, `--help` and `sesame config check`,
/// so that these cannot drift apart.
///
/// ```swift
/// static let settings: [Setting<SesameConfiguration>] = [
///     .integer("SESAME_BCRYPT_COST", \.bcryptCost, in: 4...31, rule: "from 4 to 31", "bcrypt cost of new password hashes (4 to 31)"),
/// ]
/// ```
public struct Setting<Target>: Sendable {
    /// The environment variable, e.g. `SESAME_REFRESH_GRACE`.
    public let key: String
    /// The default as shown to operators (`10`, `sqlite:./sesame-data/sesame.sqlite`, `none`).
    public let defaultText: String
    /// What it means, in one line.
    public let help: String
    /// Whether its value must never be printed or logged (shown as `****`).
    public let isSecret: Bool
    /// Whether `sesame serve` takes it as a flag (a secret given on the command line would show
    /// in process lists, so secrets have none).
    public let hasFlag: Bool
    /// Checks the value and applies it; called only when some source set the variable.
    let store: @Sendable (inout Target, SettingValue) throws -> Void
    /// The flag's name when it is not derived from ``key`` (`--database` for `SESAME_DATABASE_URL`).
    let flagOverride: String?

    /// A setting whose value `store` checks and applies, with the default shown as `defaultText`.
    /// Prefer the typed constructors (``integer(_:_:in:rule:_:)``, ``flag(_:_:_:)``,
    /// ``value(_:_:_:shown:parse:)``), which read the default from `Target()`.
    public init(
        _ key: String, default defaultText: String, _ help: String, secret: Bool = false, flag: Bool? = nil,
        flagName: String? = nil, store: @escaping @Sendable (inout Target, SettingValue) throws -> Void
    ) {
        self.key = key
        self.flagOverride = flagName
        self.defaultText = defaultText
        self.help = help
        self.isSecret = secret
        self.hasFlag = flag ?? !secret
        self.store = store
    }

    /// Applies this setting's value in `environment` (`SESAME_*` key → text) to `target`;
    /// leaves it alone when the variable is unset.
    /// - Throws: ``SesameError/Code/invalidInput`` naming the variable when its value is invalid.
    public func apply(to target: inout Target, from environment: [String: String]) throws {
        guard let raw = environment[key] else { return }
        try store(&target, SettingValue(key: key, text: raw.trimmingWhitespace()))
    }

    /// `--refresh-grace` for `SESAME_REFRESH_GRACE`.
    public var flag: String { flagOverride ?? "--" + Self.stem(key).replacingOccurrences(of: "_", with: "-") }

    /// `refresh_grace` for `SESAME_REFRESH_GRACE`: the key in a configuration file.
    public var fileKey: String { Self.stem(key) }

    static func stem(_ key: String) -> String {
        String(key.hasPrefix("SESAME_") ? key.dropFirst("SESAME_".count) : Substring(key)).lowercased()
    }

    /// This setting applied to the `Target` found at `path` inside `Outer`.
    public func lifted<Outer>(_ path: any WritableKeyPath<Outer, Target> & Sendable) -> Setting<Outer> {
        let store = self.store
        return Setting<Outer>(key, default: defaultText, help, secret: isSecret, flag: hasFlag, flagName: flagOverride) { outer, value in
            try store(&outer[keyPath: path], value)
        }
    }
}

extension Setting where Target: SettingsTarget {
    /// A whole number within `range`, stored at `path`; `rule` completes "KEY must be …".
    public static func integer<Value: FixedWidthInteger & Sendable>(
        _ key: String, _ path: any WritableKeyPath<Target, Value> & Sendable, in range: ClosedRange<Value>, rule: String,
        _ help: String
    ) -> Setting {
        value(key, path, help) { try $0.integer(in: range, rule: rule) }
    }

    /// A number of seconds within `range` ("KEY must be from L to U seconds").
    public static func seconds(
        _ key: String, _ path: any WritableKeyPath<Target, Int64> & Sendable, in range: ClosedRange<Int64>, _ help: String
    ) -> Setting {
        integer(key, path, in: range, rule: "from \(range.lowerBound) to \(range.upperBound) seconds", help)
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), stored at `path`.
    public static func flag(_ key: String, _ path: any WritableKeyPath<Target, Bool> & Sendable, _ help: String) -> Setting {
        value(key, path, help) { try $0.bool() }
    }

    /// Any value, parsed from the text by `parse`, stored at `path`; the default shown is
    /// `shown` of `Target()`'s value (its description unless given).
    public static func value<Value>(
        _ key: String, _ path: any WritableKeyPath<Target, Value> & Sendable, _ help: String, secret: Bool = false,
        flagName: String? = nil, shown: (Value) -> String = { "\($0)" },
        parse: @escaping @Sendable (SettingValue) throws -> Value
    ) -> Setting {
        Setting(key, default: shown(Target()[keyPath: path]), help, secret: secret, flagName: flagName) { target, value in
            target[keyPath: path] = try parse(value)
        }
    }
}

/// The text one source gave a setting, trimmed, with the checks every kind of setting uses.
/// Its errors name the variable, never repeat the value (it may be a secret).
public struct SettingValue: Sendable {
    /// The variable, e.g. `SESAME_PORT`.
    public let key: String
    /// The value, without leading and trailing white space.
    public let text: String

    public init(key: String, text: String) {
        self.key = key
        self.text = text
    }

    /// The whole number within `range`.
    /// - Throws: ``SesameError/Code/invalidInput``: "`key` must be `rule`".
    public func integer<T: FixedWidthInteger & Sendable>(in range: ClosedRange<T>, rule: String) throws -> T {
        guard let value = T(text), range.contains(value) else { throw invalid(rule) }
        return value
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    public func bool() throws -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw invalid("true or false")
        }
    }

    /// "`key` must be `rule`", as an ``SesameError/Code/invalidInput``.
    public func invalid(_ rule: String) -> SesameError {
        SesameError(.invalidInput, "\(key) must be \(rule)")
    }
}
