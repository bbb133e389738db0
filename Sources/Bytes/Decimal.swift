extension Array where Element == UInt8 {
    /// Appends `value` in decimal ASCII digits, zero-padded to `minimumDigits`, without making a string first.
    @inlinable
    public mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1) {
        var digits = 1
        var scale: UInt64 = 1
        while scale <= value / 10 {
            scale *= 10
            digits += 1
        }
        if digits < minimumDigits { append(contentsOf: repeatElement(0x30, count: minimumDigits - digits)) }
        var rest = value
        while scale > 0 {
            append(UInt8(truncatingIfNeeded: 0x30 + rest / scale))
            rest %= scale
            scale /= 10
        }
    }

    /// Appends `value` in decimal ASCII digits (a minus sign first when negative; the digits zero-padded to
    /// `minimumDigits`), as its `description` reads when unpadded.
    @inlinable
    public mutating func appendDecimal(_ value: Int64, minimumDigits: Int = 1) {
        if value < 0 { append(0x2D) }
        appendDecimal(value.magnitude, minimumDigits: minimumDigits)
    }
}
