import Crypto
import CryptoExtras
import Foundation
import JWTKit

/// The JWS algorithms Sesame signs access tokens with. ES256 is the default: small keys,
/// small signatures, fast. RS256 is for verifiers that know nothing else; EdDSA (Ed25519) for
/// those that prefer it.
public enum SigningAlgorithm: String, Sendable, CaseIterable, CustomStringConvertible {
    case es256 = "ES256"
    case rs256 = "RS256"
    case edDSA = "EdDSA"

    public var description: String { rawValue }

    /// Parses `ES256`, `RS256` or `EdDSA` (case-insensitively).
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = found
    }

    /// A new private key of this algorithm as PKCS#8 (or, for RSA, PKCS#1) PEM.
    /// RSA keys are 2048 bits.
    public func generatePrivateKeyPEM() throws -> String {
        switch self {
        case .es256: return P256.Signing.PrivateKey().pemRepresentation
        case .rs256: return try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        case .edDSA: return Curve25519.Signing.PrivateKey().pemRepresentation
        }
    }

    /// The private key `pem` of this algorithm, added to `collection` under `kid`.
    /// - Throws: when `pem` is not a key of this algorithm.
    func add(pem: String, kid: String, to collection: JWTKeyCollection) async throws {
        let identifier = JWKIdentifier(string: kid)
        switch self {
        case .es256:
            await collection.add(ecdsa: try ES256PrivateKey(pem: pem), kid: identifier)
        case .rs256:
            await collection.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256, kid: identifier)
        case .edDSA:
            await collection.add(eddsa: EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(pemRepresentation: pem)), kid: identifier)
        }
    }
}
