import Hummingbird

/// Builds `application/x-www-form-urlencoded` bodies and query strings for tests.
public enum FormBody {
    /// `pairs` percent-encoded and joined with `&`.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// The same as a `ByteBuffer`.
    public static func buffer(_ pairs: [(String, String)]) -> ByteBuffer {
        ByteBuffer(string: encode(pairs))
    }

    /// Percent-encodes everything but unreserved characters.
    public static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded()
            }
        }
        return out
    }

}

extension String {
    fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}
