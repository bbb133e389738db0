/// Byte-level checks shared by the tokenizer (reading strings) and the writer (escaping them).
enum UTF8Scan {
    /// For 8 bytes with the first in the lowest bits: the number of leading bytes before the first that is `"`,
    /// `\\`, a control character or non-ASCII, or 8 when there is none.
    ///
    /// Per byte, the high bit of `(x ^ c) - 0x01 & ~(x ^ c)` is set when `x == c`, that of `x - 0x20` when `x < 0x20`,
    /// and that of `x` when `x >= 0x80`. A borrow only carries upwards from a byte that is one of these, so the lowest
    /// byte flagged is exactly the first one to look at (later ones may be flagged wrongly; they are not used).
    @inline(__always)
    static func plainPrefixLength(_ word: UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = word &- ones &* 0x20
        let flagged = (hasQuote | hasBackslash | hasControl | word) & (ones &* 0x80)
        return flagged.trailingZeroBitCount &>> 3
    }

    /// The number of plain bytes (printable ASCII other than `"` and `\\`) from `index` (which must be below
    /// `buffer.count`) up to 8 of them; fewer than 8 when the 8 bytes there hold one that needs a look (then at
    /// `index + result`) or when the buffer ends.
    @inline(__always)
    static func plainRun(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let raw = UnsafeRawBufferPointer(buffer)
        let remaining = raw.count &- index
        if remaining >= 8 {
            return plainPrefixLength(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
        }
        // Fewer than 8 bytes left: they go in the low bytes of a word whose other bytes are spaces (plain).
        let padding = (0x2020_2020_2020_2020 as UInt64) << (UInt64(remaining) &* 8)
        var word: UInt64
        if raw.count >= 8 {
            // The buffer's last 8 bytes, those before `index` shifted out.
            let last = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count &- 8, as: UInt64.self))
            word = last >> (UInt64(8 &- remaining) &* 8)
        } else {
            word = 0
            for offset in 0..<remaining {
                word |= UInt64(raw[index &+ offset]) << (UInt64(offset) &* 8)
            }
        }
        return min(plainPrefixLength(word | padding), remaining)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The index after the well-formed multi-byte UTF-8 sequence starting at `index` (whose lead byte is >= 0x80),
    /// or `nil` if it is ill-formed or truncated (RFC 3629: no overlongs, surrogates or values above U+10FFFF).
    /// Reads only below `count`; `index` must be in bounds.
    func utf8SequenceEnd(at index: Int) -> Int? {
        let count = self.count
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            offset < count && range.contains(self[offset])
        }
        switch self[index] {
        case 0xC2...0xDF:
            return continuation(index + 1) ? index + 2 : nil
        case 0xE0:
            return continuation(index + 1, 0xA0...0xBF) && continuation(index + 2) ? index + 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(index + 1) && continuation(index + 2) ? index + 3 : nil
        case 0xED:
            return continuation(index + 1, 0x80...0x9F) && continuation(index + 2) ? index + 3 : nil
        case 0xF0:
            return continuation(index + 1, 0x90...0xBF) && continuation(index + 2) && continuation(index + 3)
                ? index + 4 : nil
        case 0xF1...0xF3:
            return continuation(index + 1) && continuation(index + 2) && continuation(index + 3) ? index + 4 : nil
        case 0xF4:
            return continuation(index + 1, 0x80...0x8F) && continuation(index + 2) && continuation(index + 3)
                ? index + 4 : nil
        default:
            return nil
        }
    }
}
