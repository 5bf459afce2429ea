/// RFC 8414 §2: what `/.well-known/oauth-authorization-server` publishes. Every endpoint is
/// under the configured issuer, and `issuer` is exactly it.
struct AuthorizationServerMetadata: Encodable, Equatable {
    var issuer: String
    var token_endpoint: String
    var revocation_endpoint: String
    var introspection_endpoint: String
    var userinfo_endpoint: String
    var jwks_uri: String
    var grant_types_supported = ["password", "refresh_token"]
    /// There is no authorization endpoint, so no response type.
    var response_types_supported: [String] = []
    var token_endpoint_auth_methods_supported = ["client_secret_basic", "client_secret_post", "none"]
    var revocation_endpoint_auth_methods_supported = ["client_secret_basic", "client_secret_post", "none"]
    /// Introspection requires a confidential client.
    var introspection_endpoint_auth_methods_supported = ["client_secret_basic", "client_secret_post"]
    var service_documentation: String

    /// The metadata of a server whose issuer is `issuer`.
    init(issuer: String) {
        // Endpoint URLs are joined without doubling a trailing slash of the issuer.
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        self.issuer = issuer
        func url(_ endpoint: OAuthController.Endpoint) -> String { "\(base)/\(OAuthController.prefix)/\(endpoint.rawValue)" }
        self.token_endpoint = url(.token)
        self.revocation_endpoint = url(.revoke)
        self.introspection_endpoint = url(.introspect)
        self.userinfo_endpoint = url(.userinfo)
        self.jwks_uri = "\(base)/\(OAuthController.wellKnownPrefix)/\(OAuthController.WellKnown.jwks.rawValue)"
        self.service_documentation = base + "/openapi.json"
    }
}
