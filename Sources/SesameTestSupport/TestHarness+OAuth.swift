import Foundation
import SesameCore

extension TestHarness {
    /// Registers an oauth client of the harness's domain (public without `secret`).
    @discardableResult
    public func addClient(_ id: String, secret: String? = nil) async throws -> OAuthClient {
        try await Administration(store: store, clock: clock, hasher: service.hasher).addClient(id: id, domain: domain.name, secret: secret)
    }
}

/// oauth request helpers.
public enum OAuth {
    /// An `Authorization: Basic` value for `id` and `secret`, each form-urlencoded first
    /// (RFC 6749 §2.3.1).
    public static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(FormBody.escape(id)):\(FormBody.escape(secret))".utf8).base64EncodedString()
    }

    /// The claims of a compact JWT, decoded without checking anything.
    public static func claims(of jwt: String) -> [String: Any] {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3, let bytes = RandomToken.decodeBase64URL(String(parts[1])) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    /// The JOSE header of a compact JWT, decoded.
    public static func header(of jwt: String) -> [String: Any] {
        guard let first = jwt.split(separator: ".").first, let bytes = RandomToken.decodeBase64URL(String(first)) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }
}
