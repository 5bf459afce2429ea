import Crypto
import CryptoExtras
import Foundation

/// Family A's `pwd` encryption: AES-128-CBC with PKCS#5 padding, Base64 output.
///
/// The key is the 16 ASCII characters 8..<24 of the upper-case hex MD5 of `random`; the IV is
/// that key with its two 8-byte halves swapped. This is obfuscation, not protection: anyone who
/// sees `random` can decrypt. TLS is what protects the password in transit.
///
/// ```swift
/// let plain = try LegacyPasswordCipher.decrypt("lkZMvj0KDSJXlp66jBieHA==", random: "j1acpdj2bmtqZXVb")
/// // "china1234"
/// ```
public enum LegacyPasswordCipher {
    /// The key and IV derived from `random`, as ASCII bytes.
    public static func keyAndIV(random: String) -> (key: [UInt8], iv: [UInt8]) {
        let digest = Insecure.MD5.hash(data: Array(random.utf8))
        let hex = Array(digest.hexString(uppercase: true).utf8)
        let key = Array(hex[8..<24])
        let iv = Array(key[8..<16] + key[0..<8])
        return (key, iv)
    }

    /// Decrypts `pwd` as sent by a family A client.
    ///
    /// Line breaks (CR and LF) are ignored: Android's `Base64.DEFAULT`, which family A apps
    /// use, ends the text with a newline and breaks it every 76 characters. Anything else that
    /// is not Base64 is refused.
    ///
    /// - Returns: the plain password, or `nil` when `pwd` is not valid Base64, not a whole
    ///   number of blocks, badly padded, or not UTF-8.
    public static func decrypt(_ pwd: String, random: String) -> String? {
        guard pwd.utf8.count <= 4096 else { return nil }
        let wrapped = pwd.utf8.contains { $0 == 0x0A || $0 == 0x0D }
        let base64 = wrapped ? String(String.UnicodeScalarView(pwd.unicodeScalars.filter { $0 != "\n" && $0 != "\r" })) : pwd
        guard let ciphertext = Data(base64Encoded: base64), !ciphertext.isEmpty,
            ciphertext.count % 16 == 0
        else { return nil }
        let (key, iv) = keyAndIV(random: random)
        guard let cbcIV = try? AES._CBC.IV(ivBytes: iv),
            let plain = try? AES._CBC.decrypt(ciphertext, using: SymmetricKey(data: key), iv: cbcIV)
        else { return nil }
        return String(validating: plain, as: UTF8.self)
    }

    /// Encrypts `password` the way a family A client does (for tests, demos and tooling).
    public static func encrypt(_ password: String, random: String) throws -> String {
        let (key, iv) = keyAndIV(random: random)
        let ciphertext = try AES._CBC.encrypt(Array(password.utf8), using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: iv))
        return ciphertext.base64EncodedString()
    }
}

extension Sequence<UInt8> {
    /// Hex digits of the bytes.
    public func hexString(uppercase: Bool = false) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
