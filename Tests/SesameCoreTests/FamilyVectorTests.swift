import SesameCore
import Testing

/// The checked vectors of FAMILIES.md.
@Suite struct FamilyVectorTests {
    @Test func keyAndIVFromRandom() {
        let (key, iv) = LegacyPasswordCipher.keyAndIV(random: "j1acpdj2bmtqZXVb")
        #expect(String(decoding: key, as: UTF8.self) == "89A049614445CCA8")
        #expect(String(decoding: iv, as: UTF8.self) == "4445CCA889A04961")
    }

    @Test(arguments: [
        ("j1acpdj2bmtqZXVb", "china1234", "lkZMvj0KDSJXlp66jBieHA=="),
        ("abcdef", "abcd1234", "KbbO5AsWloh9gulLei6NhQ=="),
    ])
    func pwdEncryption(random: String, plain: String, encrypted: String) throws {
        #expect(try LegacyPasswordCipher.encrypt(plain, random: random) == encrypted)
        #expect(LegacyPasswordCipher.decrypt(encrypted, random: random) == plain)
    }

    @Test(arguments: ["", "not base64!!", "AAAA", "lkZMvj0KDSJXlp66jBieHA", String(repeating: "A", count: 5000)])
    func pwdDecryptionRejectsGarbage(pwd: String) {
        #expect(LegacyPasswordCipher.decrypt(pwd, random: "abcdef") == nil)
    }

    @Test func wrongRandomDoesNotDecryptToThePassword() {
        #expect(LegacyPasswordCipher.decrypt("KbbO5AsWloh9gulLei6NhQ==", random: "abcdeg") != "abcd1234")
    }

    static let secret = "57Fk69oYgbs2aWWN362NtZwYB2RqKNqQ7yZESnF5VM22"
    static let parts = ["86", "17132136550", "KbbO5AsWloh9gulLei6NhQ==", "abcdef"]
    static let expected = "1fd91ebf096be51dae1c6055bc930bd8e24b1f477d2a47ae87eedb0f73057bf0"

    @Test func phoneLoginSignatureVector() {
        #expect(RequestSignature.expected(Self.parts, secret: Self.secret) == Self.expected)
        #expect(RequestSignature.isValid(Self.expected, parts: Self.parts, secret: Self.secret))
    }

    @Test func signatureIsCaseInsensitive() {
        #expect(RequestSignature.isValid(Self.expected.uppercased(), parts: Self.parts, secret: Self.secret))
    }

    @Test(arguments: ["", "1fd91ebf", String(Self.expected.dropLast()) + "1", Self.expected + "00"])
    func wrongSignaturesFail(signature: String) {
        #expect(!RequestSignature.isValid(signature, parts: Self.parts, secret: Self.secret))
    }

    @Test func signatureDependsOnTheSecret() {
        #expect(!RequestSignature.isValid(Self.expected, parts: Self.parts, secret: Self.secret + "x"))
    }

    /// `pwd` as Android's `Base64.DEFAULT` writes it: a line break every 76 characters and a
    /// trailing newline (LF or CRLF) is the same password; other junk is still refused.
    @Test(arguments: ["\n", "\r\n"])
    func androidLineBreaksAreTheSamePassword(_ newline: String) throws {
        let random = "j1acpdj2bmtqZXVb"
        let plain = "a-long-password-of-more-than-fifty-seven-bytes-0123456789-abcdefghij"
        let encrypted = try LegacyPasswordCipher.encrypt(plain, random: random)
        #expect(encrypted.count > 76)
        var wrapped = ""
        for (i, c) in encrypted.enumerated() {
            if i > 0, i.isMultiple(of: 76) { wrapped += newline }
            wrapped.append(c)
        }
        wrapped += newline
        #expect(wrapped.contains(newline) && wrapped != encrypted)
        #expect(LegacyPasswordCipher.decrypt(wrapped, random: random) == plain)
        #expect(LegacyPasswordCipher.decrypt(encrypted + newline, random: random) == plain)
        for junk in [" ", "\t", "!", "*"] {
            #expect(LegacyPasswordCipher.decrypt(junk + encrypted, random: random) == nil, "\(junk.debugDescription)")
        }
    }
}
