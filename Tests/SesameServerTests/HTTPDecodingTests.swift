import SesameHTTP
import Testing

@Suite struct HTTPDecodingTests {
    @Test func formDecodingHandlesPlusEscapesAndDuplicates() {
        let pairs = FormDecoder.decode(Array("a=1+2&b=%E4%BD%A0&c&=x&a=3&d=%2B".utf8))
        #expect(pairs.map(\.0) == ["a", "b", "c", "a", "d"])
        #expect(pairs[0].1 == .text("1 2"))
        #expect(pairs[1].1 == .text("你"))
        #expect(pairs[2].1 == .text(""))
        #expect(pairs[4].1 == .text("+"))
    }

    @Test(arguments: ["a=%", "a=%4", "a=%ZZ", "a=%FF", "a=%C3%28"])
    func brokenValuesAreInvalid(input: String) {
        #expect(FormDecoder.decode(Array(input.utf8)).first?.1 == .invalid)
    }

    @Test func jsonScalarsAndWrongTypes() {
        let pairs = Dictionary(uniqueKeysWithValues: JSONObjectDecoder.decode(
            Array(#"{"s": "x", "i": 17132136550, "f": 1.5, "b": true, "o": {}, "a": [], "n": null}"#.utf8)))
        #expect(pairs["s"] == .text("x"))
        #expect(pairs["i"] == .text("17132136550"))
        #expect(pairs["f"] == .invalid && pairs["b"] == .invalid && pairs["o"] == .invalid && pairs["a"] == .invalid)
        #expect(pairs["n"] == nil)
    }

    @Test(arguments: ["", "[]", "1", "{", "\"x\"", "{\"a\": }"])
    func nonObjectsGiveNothing(input: String) {
        #expect(JSONObjectDecoder.decode(Array(input.utf8)).isEmpty)
    }

    @Test(arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER  abc ", "abc"), ("abc", "abc"), ("Bearer", ""),
        ("Bearer ", ""), ("  ", ""), ("Bearerabc", "Bearerabc"),
    ])
    func bearerPrefixIsOptional(input: String, token: String) {
        #expect(BearerToken.strip(input) == token)
    }
}
