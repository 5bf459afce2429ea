#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, or a CIDR block of them: `203.0.113.7`, `10.0.0.0/8`, `::1`,
/// `2001:db8::/32`. Used for the abuse-limit exemptions and the trusted proxies.
public struct IPAddressRange: Sendable, Equatable, CustomStringConvertible {
    /// 4 or 16 bytes.
    public let network: [UInt8]
    public let prefixLength: Int

    /// - Throws: ``SesameError/Code/invalidInput`` for anything that is not an address or block.
    public init(parsing text: String) throws {
        let parts = text.trimmingWhitespace().split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let bytes = IPAddressRange.bytes(of: String(parts[0])) else {
            throw SesameError(.invalidInput, "'\(text)' is not an IP address or CIDR block")
        }
        let bits = bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bits).contains(n) else {
                throw SesameError(.invalidInput, "'\(text)' has a prefix length outside 0...\(bits)")
            }
            length = n
        }
        self.network = IPAddressRange.masked(bytes, to: length)
        self.prefixLength = length
    }

    /// Whether `address` (text) lies in the block.
    public func contains(_ address: String) -> Bool {
        guard let bytes = IPAddressRange.bytes(of: address) else { return false }
        return contains(bytes: bytes)
    }

    /// Whether the address with these 4 or 16 bytes (as ``bytes(of:)`` gives) lies in the block.
    public func contains(bytes: [UInt8]) -> Bool {
        bytes.count == network.count && IPAddressRange.masked(bytes, to: prefixLength) == network
    }

    public var description: String {
        IPAddressRange.text(of: network) + (prefixLength == network.count * 8 ? "" : "/\(prefixLength)")
    }

    /// The 4 (IPv4, also for IPv4-mapped IPv6) or 16 bytes of `text`; `nil` when not an address.
    public static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    /// The canonical text of 4 or 16 bytes.
    public static func text(of bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: bytes.count, by: 2) {
            groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    /// A comma-separated list (empty for none).
    /// - Throws: ``SesameError/Code/invalidInput`` naming `setting` and the bad entry.
    public static func list(_ text: String, setting: String) throws -> [IPAddressRange] {
        try text.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }.map { entry in
            do { return try IPAddressRange(parsing: entry) } catch {
                throw SesameError(.invalidInput, "\(setting): '\(entry)' is not an IP address or CIDR block")
            }
        }
    }

    static func masked(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        var out = bytes
        for i in 0..<out.count {
            let keep = max(0, min(8, length - i * 8))
            out[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        return out
    }
}
