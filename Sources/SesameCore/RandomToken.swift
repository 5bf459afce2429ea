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

    /// Whether `s` has the shape of a refresh token Sesame issues: 43 Base64URL characters
    /// (256 bits). Cheap, and rejects absurd strings before any store work.
    public static func isRefreshTokenShaped(_ s: String) -> Bool {
        let u = s.utf8
        return u.count == 43 && u.allSatisfy(isBase64URL)
    }

    static func isBase64URL(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
    }

    /// The bytes of unpadded (or padded) Base64URL text; `nil` when it is not Base64URL.
    public static func decodeBase64URL(_ text: String) -> [UInt8]? {
        guard text.utf8.count <= 4_096, text.utf8.allSatisfy({ isBase64URL($0) || $0 == UInt8(ascii: "=") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
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
}
