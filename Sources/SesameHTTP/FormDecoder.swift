/// Decodes `application/x-www-form-urlencoded` bytes (and query strings): `&`-separated
/// `name=value` pairs, `+` as space, `%XX` escapes. A value whose escapes are broken or
/// whose bytes are not UTF-8 is ``ParameterValue/invalid``; a name that cannot be decoded is
/// dropped by ``decode(_:)`` (the families' lenient reading) and refused by ``decodeStrictly(_:)``.
public enum FormDecoder {
    /// The pairs of `bytes`; names that cannot be decoded, and empty names, are dropped.
    public static func decode(_ bytes: [UInt8]) -> [(String, ParameterValue)] {
        decode(bytes, strict: false) ?? []
    }

    /// The pairs of `bytes` (empty names dropped); `nil` when a name has a broken escape or is
    /// not UTF-8, so that the caller refuses the whole request (oauth's `invalid_request`).
    public static func decodeStrictly(_ bytes: [UInt8]) -> [(String, ParameterValue)]? {
        decode(bytes, strict: true)
    }

    static func decode(_ bytes: [UInt8], strict: Bool) -> [(String, ParameterValue)]? {
        var result: [(String, ParameterValue)] = []
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = parts.first else { continue }
            guard let name = percentDecode(rawName) else {
                if strict { return nil }
                continue
            }
            guard !name.isEmpty else { continue }
            let value: ParameterValue
            if parts.count == 2 {
                value = percentDecode(parts[1]).map(ParameterValue.text) ?? .invalid
            } else {
                value = .text("")
            }
            result.append((name, value))
        }
        return result
    }

    /// The decoded text of `bytes`, or `nil` for a broken escape or bytes that are not UTF-8.
    public static func percentDecode(_ bytes: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex,
                    let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
                else { return nil }
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
