import Crypto
import Foundation

/// The key-encryption key (KEK): 32 bytes kept outside the database that seal the private
/// signing keys, the successor key and the domain secrets at rest with AES-256-GCM.
///
/// Each sealed value is `nonce (12) ‖ ciphertext ‖ tag (16)`, with associated data naming its
/// row (`signing_keys/KID`, `secrets/NAME`, `domains/NAME`): a sealed value moved to another
/// row does not open. Its ``id`` (a fingerprint, not the key) is stored next to each sealed
/// value, so that a store can tell "no KEK" and "another KEK" apart from a damaged row.
///
/// - Warning: Never log it. ``description`` shows only the id.
///
/// ```sh
/// sesame kek generate > /etc/sesame/kek      # or: openssl rand -base64 32
/// SESAME_KEK_FILE=/etc/sesame/kek sesame serve
/// ```
public struct KeyEncryptionKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let key: SymmetricKey
    /// Hex of the first 8 bytes of `HMAC-SHA256(KEK, "sesame-kek-id")`: names the KEK without revealing it.
    public let id: String

    /// The KEK whose Base64 text (standard or URL alphabet, padding optional, surrounding white
    /// space ignored) is `text`.
    /// - Throws: ``SesameError/Code/invalidInput`` unless it decodes to exactly 32 bytes.
    public init(base64 text: String) throws {
        let trimmed = text.trimmingWhitespace()
        guard let bytes = RandomToken.decodeBase64URL(
            trimmed.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")), bytes.count == 32
        else { throw SesameError(.invalidInput, "the KEK must be 32 bytes in Base64 (sesame kek generate, or openssl rand -base64 32)") }
        self.init(bytes: bytes)
    }

    init(bytes: [UInt8]) {
        self.key = SymmetricKey(data: bytes)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("sesame-kek-id".utf8), using: key)
        self.id = Array(mac).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Reads the KEK from the file at `path` (its Base64 text).
    /// - Throws: ``SesameError/Code/invalidInput`` naming the file (never its content).
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SesameError(.invalidInput, "cannot read the KEK file \(path)")
        }
        do {
            try self.init(base64: String(decoding: data, as: UTF8.self))
        } catch {
            throw SesameError(.invalidInput, "the KEK file \(path) must hold 32 bytes in Base64 (sesame kek generate)")
        }
    }

    /// A new random KEK and its Base64 text.
    public static func generate() -> (kek: KeyEncryptionKey, base64: String) {
        let bytes = RandomToken.bytes(32)
        return (KeyEncryptionKey(bytes: bytes), Data(bytes).base64EncodedString())
    }

    public var description: String { "KEK(\(id))" }
    public var debugDescription: String { description }

    public static func == (lhs: KeyEncryptionKey, rhs: KeyEncryptionKey) -> Bool { lhs.id == rhs.id }

    /// `plaintext` sealed for the row `context`.
    public func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Self.associatedData(context))
        guard let combined = box.combined else { throw SesameError(.invalidInput, "AES-GCM produced no combined form") }
        return Array(combined)
    }

    /// The plaintext of `sealed`, which must have been sealed by this KEK for the row `context`.
    /// - Throws: ``SesameError/Code/invalidInput`` when it was not (another KEK, another row, damage).
    public func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: Self.associatedData(context)))
        } catch {
            throw SesameError(.invalidInput, "the sealed value of \(context) does not open with KEK \(id)")
        }
    }

    static func associatedData(_ context: String) -> [UInt8] { Array("sesame-kek-v1/\(context)".utf8) }
}
