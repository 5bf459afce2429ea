import Foundation

/// One setting: its `SESAME_*` variable, the default shown to operators, a one-line help, and
/// how its text is validated and applied to `Target`. The variable's name is the single source
/// of its other spellings: the flag (`SESAME_REFRESH_GRACE` is `--refresh-grace`) and the
/// configuration file's key (`refresh_grace`).
///
/// Tables of settings (``SesameConfiguration/settings``, and the server's, which includes them)
/// drive the environment, the flags, the configuration file, `--help` and `sesame config check`,
/// so that these cannot drift apart.
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
    /// Validates the value of ``key`` read from the reader and applies it.
    public let apply: @Sendable (inout Target, EnvironmentReader) throws -> Void

    /// The flag's name when it is not derived from ``key`` (`--database` for `SESAME_DATABASE_URL`).
    let flagOverride: String?

    public init(
        _ key: String, default defaultText: String, _ help: String, secret: Bool = false, flag: Bool? = nil,
        flagName: String? = nil, apply: @escaping @Sendable (inout Target, EnvironmentReader) throws -> Void
    ) {
        self.key = key
        self.flagOverride = flagName
        self.defaultText = defaultText
        self.help = help
        self.isSecret = secret
        self.hasFlag = flag ?? !secret
        self.apply = apply
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
        let apply = self.apply
        return Setting<Outer>(key, default: defaultText, help, secret: isSecret, flag: hasFlag, flagName: flagOverride) { outer, env in
            try apply(&outer[keyPath: path], env)
        }
    }
}
