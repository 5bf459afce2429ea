import Hummingbird

/// A dialect's endpoint names under its prefix, as an enum of raw strings: the one spelling of
/// each route's name, read by the routes (``path``) and by the dialect's fallback (``names``).
///
/// ```swift
/// enum Endpoint: String, DialectEndpoint { case token, revoke }
/// group.post(Endpoint.token.path) { ... }
/// DialectFallbackMiddleware(prefix: "oauth", endpoints: Endpoint.names) { ... }
/// ```
public protocol DialectEndpoint: RawRepresentable, CaseIterable, Sendable where RawValue == String {}

extension DialectEndpoint {
    /// The route's path under the dialect's prefix.
    public var path: RouterPath { RouterPath(rawValue) }

    /// Every endpoint's name.
    public static var names: Set<String> { Set(allCases.map(\.rawValue)) }
}
