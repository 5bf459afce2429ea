import Crypto
import CryptoExtras

/// The public half of the signing keys, as a JSON Web Key Set (RFC 7517) served at
/// `/.well-known/jwks.json` for services that verify access tokens offline.
///
/// This is the one place where keys become JWKs. Every key carries `kty`, `kid`, `alg` and
/// `use: "sig"`, and only public members: building from the private key's PEM, it copies the
/// public coordinates and nothing else.
public struct JSONWebKeySet: Sendable, Equatable, Encodable {
    public var keys: [JSONWebKey]

    public init(keys: [JSONWebKey]) { self.keys = keys }

    /// The public keys of `records`, in their order.
    /// - Throws: ``SesameError/Code/invalidInput`` for a key whose algorithm has no JWK form here.
    public init(records: [SigningKeyRecord]) throws {
        self.keys = try records.map(JSONWebKey.init(publicPartOf:))
    }
}

/// One public JWK (RFC 7517, RFC 7518 §6, RFC 8037). Fields that do not apply to the key type
/// are `nil` and left out of the JSON.
public struct JSONWebKey: Sendable, Equatable, Encodable {
    /// `EC` (ES256), `RSA` (RS256) or `OKP` (EdDSA).
    public var kty: String
    public var kid: String
    /// The JWS algorithm the key is pinned to, e.g. `ES256`.
    public var alg: String
    /// Always `sig`.
    public var use: String
    /// EC: the curve, `P-256`; OKP: `Ed25519`.
    public var crv: String?
    /// EC: the public point's coordinates; OKP: the public key. Unpadded Base64URL.
    public var x: String?
    public var y: String?
    /// RSA: the modulus and public exponent, unpadded Base64URL.
    public var n: String?
    public var e: String?

    public init(
        kty: String, kid: String, alg: String, use: String = "sig", crv: String? = nil, x: String? = nil, y: String? = nil,
        n: String? = nil, e: String? = nil
    ) {
        self.kty = kty
        self.kid = kid
        self.alg = alg
        self.use = use
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
    }

    /// The public JWK of `record`.
    /// - Throws: ``SesameError/Code/invalidInput`` for an algorithm without a JWK form here, or
    ///   a PEM that does not parse.
    public init(publicPartOf record: SigningKeyRecord) throws {
        do {
            switch record.algorithm {
            case "ES256":
                let key = try P256.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM)
                // x ‖ y, 32 bytes each.
                let point = Array(key.publicKey.rawRepresentation)
                self.init(
                    kty: "EC", kid: record.kid, alg: "ES256", crv: "P-256",
                    x: RandomToken.base64URL(point[0..<32]), y: RandomToken.base64URL(point[32..<64]))
                return
            case "RS256":
                let key = try _RSA.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM)
                let primitives = try key.publicKey.getKeyPrimitives()
                self.init(
                    kty: "RSA", kid: record.kid, alg: "RS256", n: RandomToken.base64URL(primitives.modulus),
                    e: RandomToken.base64URL(primitives.publicExponent))
                return
            case "EdDSA":
                let key = try Curve25519.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM)
                self.init(kty: "OKP", kid: record.kid, alg: "EdDSA", crv: "Ed25519", x: RandomToken.base64URL(key.publicKey.rawRepresentation))
                return
            default:
                break
            }
        } catch {
            throw SesameError(.invalidInput, "signing key \(record.kid) does not parse")
        }
        throw SesameError(.invalidInput, "no JWK form for signing algorithm \(record.algorithm)")
    }
}
