import JWTKit

/// The claims of a Sesame access token.
///
/// Time claims are plain Unix seconds, checked by ``TokenService`` against its injected clock
/// rather than by jwt-kit against the wall clock.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var iss: String
    public var sub: String
    public var uid: String
    /// Session id.
    public var sid: String
    /// Id of the refresh token this access token was issued with.
    public var jti: String
    public var iat: Int64
    public var nbf: Int64
    public var exp: Int64
    /// Always `AccessToken`.
    public var type: String
    /// enduser tokens carry the user domain's name, oauth tokens the `client_id`.
    public var aud: String?
    /// kanfang tokens carry the binding of the refresh token issued with them (Base64URL), so
    /// that kanfang's `RefreshToken` can derive the same successor from the access token as
    /// from the refresh token. See ``SuccessorDeriver``.
    public var rtb: String?

    public init(
        iss: String, sub: String, uid: String, sid: String, jti: String, iat: Int64, nbf: Int64, exp: Int64,
        type: String = "AccessToken", aud: String? = nil, rtb: String? = nil
    ) {
        self.iss = iss
        self.sub = sub
        self.uid = uid
        self.sid = sid
        self.jti = jti
        self.iat = iat
        self.nbf = nbf
        self.exp = exp
        self.type = type
        self.aud = aud
        self.rtb = rtb
    }

    /// Signature verification only; times are checked by the caller with its clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
