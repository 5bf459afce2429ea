import Foundation
import SesameCore
import Testing

/// The direct Base64URL encoder and the byte generator of the hot path.
@Suite struct RandomTokenEncodingTests {
    /// RFC 4648 §10's vectors, in the URL alphabet without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func base64URLMatchesTheRFCVectors(plain: String, encoded: String) {
        #expect(RandomToken.base64URL(Array(plain.utf8)) == encoded)
    }

    @Test func base64URLUsesTheURLAlphabetAndAgreesWithFoundation() {
        #expect(RandomToken.base64URL([0xFB, 0xFF]) == "-_8")
        for count in 0..<70 {
            let bytes = RandomToken.bytes(count)
            let foundation = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(RandomToken.base64URL(bytes) == foundation)
        }
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
        ("f", "Zg=="), ("fo", "Zm8="), ("foob", "Zm9vYg=="),
    ])
    func base64URLDecodesTheRFCVectorsPaddedOrNot(plain: String, encoded: String) {
        #expect(RandomToken.decodeBase64URL(encoded) == Array(plain.utf8))
    }

    @Test func decodingRoundTripsAndAgreesWithFoundation() {
        #expect(RandomToken.decodeBase64URL("-_8") == [0xFB, 0xFF])
        for count in 0..<70 {
            let bytes = RandomToken.bytes(count)
            let text = RandomToken.base64URL(bytes)
            #expect(RandomToken.decodeBase64URL(text) == bytes)
            let standard = Data(bytes).base64EncodedString()
            #expect(Data(base64Encoded: standard).map(Array.init) == RandomToken.decodeBase64URL(
                standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")))
        }
    }

    @Test(arguments: ["Z", "Zm9vY", "Zg=a", "Zm9v===", "Z===", "=", "Zm+v", "Zm/v", "Zm 9v", "Zm9v\n", "é", String(repeating: "A", count: 4_100)])
    func textThatIsNotBase64URLDecodesToNothing(text: String) {
        #expect(RandomToken.decodeBase64URL(text) == nil)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 16, 32, 33])
    func bytesHaveTheAskedLength(count: Int) {
        #expect(RandomToken.bytes(count).count == count)
    }

    @Test func tokensAreFreshAndShaped() {
        let tokens = (0..<1_000).map { _ in RandomToken.make(byteCount: 32) }
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy { RefreshTokenKey(token: $0) != nil })
    }
}
