extension UInt8 {
    /// Whether this byte is an ASCII control character: C0 (`0x00–0x1F`) or DEL (`0x7F`). In UTF-8 text no other
    /// byte is one of these, so a check over `utf8` finds exactly the ASCII control characters.
    @inlinable
    public var isASCIIControl: Bool { self < 0x20 || self == 0x7F }

    /// Whether this byte is a visible ASCII character (`0x21–0x7E`): neither a control character, nor the space,
    /// nor part of a non-ASCII character.
    @inlinable
    public var isASCIIGraphic: Bool { self &- 0x21 < 0x5E }
}

extension UInt8 {
    /// This byte with ASCII `A–Z` mapped to `a–z` (every other byte unchanged).
    @inlinable
    public var asciiLowercased: UInt8 { self &- 65 < 26 ? self | 0x20 : self }
}

extension String {
    /// Whether this string equals `other` when ASCII letters are compared without case (header and field names),
    /// without allocating: over the contiguous UTF-8 of both when they have it, as native strings do.
    @inlinable
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        utf8.equalsIgnoringASCIICase(other)
    }
}

extension Collection where Element == UInt8 {
    /// Whether these bytes equal the UTF-8 of `other` when ASCII letters are compared without case (a header name
    /// read off the wire against a known one), without allocating when both are contiguous.
    @inlinable
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        let b = other.utf8
        guard count == b.count else { return false }
        let fast = withContiguousStorageIfAvailable { pa in
            b.withContiguousStorageIfAvailable { pb in
                var i = 0
                while i < pa.count {
                    if pa[i].asciiLowercased != pb[i].asciiLowercased { return false }
                    i += 1
                }
                return true
            }
        }
        if let fast, let equal = fast { return equal }
        return zip(self, b).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
    }
}
