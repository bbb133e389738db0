extension Collection<UInt8> {
    /// The range of the first occurrence of `needle`'s bytes in this collection, or `nil`; an empty needle occurs at
    /// `startIndex`. A byte search: no Unicode rules and no `_StringProcessing` (which the bootstraps leave out).
    @inlinable
    public func firstRange(ofBytes needle: some Collection<UInt8>) -> Range<Index>? {
        var offset: Int?
        let searched =
            withContiguousStorageIfAvailable { haystack in
                needle.withContiguousStorageIfAvailable { needle in
                    offset = ByteSearch.firstOffset(of: needle, in: haystack)
                } != nil
            } ?? false
        if !searched {
            offset = Array(self).withUnsafeBufferPointer { haystack in
                Array(needle).withUnsafeBufferPointer { needle in ByteSearch.firstOffset(of: needle, in: haystack) }
            }
        }
        guard let offset else { return nil }
        let start = index(startIndex, offsetBy: offset)
        return start..<index(start, offsetBy: needle.count)
    }

    /// Whether `needle`'s bytes occur in this collection (an empty needle always does).
    @inlinable
    public func containsBytes(_ needle: some Collection<UInt8>) -> Bool {
        firstRange(ofBytes: needle) != nil
    }
}

/// The search behind `firstRange(ofBytes:)`.
@usableFromInline
enum ByteSearch {
    /// The offset of the first occurrence of `needle` in `haystack`, or `nil`; 0 for an empty needle.
    @usableFromInline
    static func firstOffset(of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = needle.first else { return 0 }
        guard haystack.count >= needle.count else { return nil }
        let last = haystack.count - needle.count
        var start = 0
        while start <= last {
            if haystack[start] == first {
                var matched = 1
                while matched < needle.count, haystack[start + matched] == needle[matched] {
                    matched += 1
                }
                if matched == needle.count { return start }
            }
            start += 1
        }
        return nil
    }
}
