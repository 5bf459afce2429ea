import Crypto
import Foundation

/// Random identifiers and opaque tokens, and their hashes.
public enum RandomToken {
    /// `byteCount` random bytes from the system's CSPRNG, as unpadded Base64URL.
    public static func make(byteCount: Int = 32) -> String {
        base64URL(bytes(byteCount))
    }

    /// `count` random bytes from the system's CSPRNG.
    public static func bytes(_ count: Int) -> [UInt8] {
        // Eight bytes per draw from the system generator (one getrandom call each), not one.
        var g = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: g.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// SHA-256 of the token's UTF-8 bytes: the only form in which refresh tokens are stored.
    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    static func isBase64URL(_ b: UInt8) -> Bool { base64URLValues[Int(b)] < 64 }

    /// The bytes of unpadded (or padded) Base64URL text; `nil` when it is not Base64URL.
    public static func decodeBase64URL(_ text: String) -> [UInt8]? {
        // Decoded directly (RFC 4648 §5): every located refresh token is decoded once per refresh.
        var input = Array(text.utf8)
        guard input.count <= 4_096 else { return nil }
        if input.count % 4 == 0, input.last == UInt8(ascii: "=") {
            input.removeLast()
            if input.last == UInt8(ascii: "=") { input.removeLast() }
        }
        guard input.count % 4 != 1 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in input {
            let value = base64URLValues[Int(character)]
            guard value < 64 else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }

    /// Unpadded Base64URL of `bytes`.
    public static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        // Encoded directly (RFC 4648 §5, no padding): this runs several times per refresh.
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            output.append(base64URLAlphabet[Int(n >> 18 & 63)])
            output.append(base64URLAlphabet[Int(n >> 12 & 63)])
            output.append(base64URLAlphabet[Int(n >> 6 & 63)])
            output.append(base64URLAlphabet[Int(n & 63)])
            i += 3
        }
        switch input.count - i {
        case 1:
            let n = UInt32(input[i]) << 16
            output.append(base64URLAlphabet[Int(n >> 18 & 63)])
            output.append(base64URLAlphabet[Int(n >> 12 & 63)])
        case 2:
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            output.append(base64URLAlphabet[Int(n >> 18 & 63)])
            output.append(base64URLAlphabet[Int(n >> 12 & 63)])
            output.append(base64URLAlphabet[Int(n >> 6 & 63)])
        default:
            break
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Each byte's value in ``base64URLAlphabet``; 255 for bytes outside it.
    private static let base64URLValues: [UInt8] = {
        var values = [UInt8](repeating: 255, count: 256)
        for (value, character) in base64URLAlphabet.enumerated() { values[Int(character)] = UInt8(value) }
        return values
    }()
}
