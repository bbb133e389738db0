/// The streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) of the invocation in flight.
struct StreamProgress {
    /// The `Content-Type` the function declared.
    var contentType: String
    /// Every byte the function sent, counted even past the limit.
    var receivedBytes = 0
    /// The bytes kept for a buffered caller (at most ``Limits/maximumStreamedResponse``).
    var collected: [UInt8] = []

    /// Bytes delivered to the caller (the stream is cut at the limit).
    var deliveredBytes: Int { min(receivedBytes, Limits.maximumStreamedResponse) }
    /// Whether the function sent more than the limit.
    var overflowed: Bool { receivedBytes > Limits.maximumStreamedResponse }
}
