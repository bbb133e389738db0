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
