extension StringProtocol {
    /// `true` when `needle`'s UTF-8 bytes occur in this string's. A byte search, so it needs no
    /// `_StringProcessing` (which the bootstraps leave out to stay small).
    @inlinable
    public func containsBytes(_ needle: some StringProtocol) -> Bool {
        let hay = Array(utf8), pin = Array(needle.utf8)
        guard !pin.isEmpty else { return true }
        guard hay.count >= pin.count else { return false }
        for start in 0...(hay.count - pin.count) where hay[start] == pin[0] {
            if hay[start..<(start + pin.count)].elementsEqual(pin) { return true }
        }
        return false
    }
}
