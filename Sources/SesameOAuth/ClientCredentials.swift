import Foundation
import Hummingbird
import SesameCore
import SesameHTTP

/// How a request names its client (RFC 6749 §2.3.1): HTTP Basic with the form-encoded
/// `client_id` and secret, or `client_id` (and `client_secret`) in the form body. A public
/// client sends `client_id` alone.
struct ClientCredentials: Sendable, Equatable {
    var id: String
    /// `nil` when none was sent (a public client); never logged.
    var secret: String?
    /// HTTP Basic only: the secret exactly as sent, when form-decoding changed it. Many clients
    /// (curl's `-u`, most HTTP libraries) skip RFC 6749 §2.3.1's encoding, so that a secret
    /// with `+` or `%` would otherwise never match; it is tried second.
    var secretAsSent: String? = nil
    /// Whether they came in the `Authorization` header.
    var viaBasic: Bool

    /// The credentials of `request`; `nil` when it names no client at all.
    ///
    /// - Throws: `invalid_client` for a malformed or non-Basic `Authorization` header;
    ///   `invalid_request` for two authentication methods at once (Basic and `client_secret`,
    ///   RFC 6749 §2.3), a body `client_id` that differs from Basic's, or a `client_secret`
    ///   without `client_id`.
    static func read(_ request: Request, _ form: OAuthForm) throws(OAuthError) -> ClientCredentials? {
        if let header = request.headers[.authorization] {
            let (id, secret, secretAsSent) = try basic(header)
            if form["client_secret"] != nil {
                throw .invalidRequest("use one client authentication method: HTTP Basic or client_secret, not both")
            }
            if let bodyID = form["client_id"], bodyID != id {
                throw .invalidRequest("client_id in the body differs from the one in the Authorization header")
            }
            return ClientCredentials(id: id, secret: secret, secretAsSent: secretAsSent, viaBasic: true)
        }
        guard let id = form["client_id"] else {
            if form["client_secret"] != nil { throw .invalidRequest("client_secret was sent without client_id") }
            return nil
        }
        return ClientCredentials(id: id, secret: form["client_secret"], viaBasic: false)
    }

    /// `client_id`, secret and (when it differs) the secret as sent, of an
    /// `Authorization: Basic` value; an empty secret is none.
    static func basic(_ header: String) throws(OAuthError) -> (String, String?, String?) {
        let value = header.trimmingWhitespace()
        let scheme = "basic "
        guard value.utf8.count > scheme.utf8.count, value.prefix(scheme.count).lowercased() == scheme else {
            throw .invalidClient("client authentication must use HTTP Basic")
        }
        let encoded = String(value.dropFirst(scheme.count)).trimmingWhitespace()
        guard encoded.utf8.count <= 2_048, let data = Data(base64Encoded: encoded),
            let decoded = String(data: data, encoding: .utf8),
            let colon = decoded.utf8.firstIndex(of: UInt8(ascii: ":"))
        else { throw .invalidClient("malformed HTTP Basic credentials") }
        // Both halves are form-urlencoded before Base64 (RFC 6749 §2.3.1); a half that does not
        // decode is taken as sent.
        let rawID = String(decoded.utf8[..<colon])!
        let rawSecret = String(decoded.utf8[decoded.utf8.index(after: colon)...])!
        let id = FormDecoder.percentDecode(ArraySlice(rawID.utf8)) ?? rawID
        guard !id.isEmpty else { throw .invalidClient("malformed HTTP Basic credentials") }
        guard !rawSecret.isEmpty else { return (id, nil, nil) }
        let secret = FormDecoder.percentDecode(ArraySlice(rawSecret.utf8)) ?? rawSecret
        return (id, secret, secret == rawSecret ? nil : rawSecret)
    }
}
