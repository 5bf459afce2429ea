/// Comparison of secrets in time that depends only on their lengths.
public enum ConstantTime {
    /// `true` when `a` and `b` hold the same bytes.
    ///
    /// - Warning: Use this, never `==`, for anything derived from a secret (signatures, token
    ///   hashes, client secrets): `==` returns at the first differing byte and so tells an
    ///   attacker, byte after byte, how much of a guess was right.
    public static func equals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
