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

    @Test(arguments: [0, 1, 7, 8, 9, 16, 32, 33])
    func bytesHaveTheAskedLength(count: Int) {
        #expect(RandomToken.bytes(count).count == count)
    }

    @Test func tokensAreFreshAndShaped() {
        let tokens = (0..<1_000).map { _ in RandomToken.make(byteCount: 32) }
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy(RandomToken.isRefreshTokenShaped))
    }
}
