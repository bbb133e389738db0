/// The request ids of invocations that timed out, remembered (the newest ``Limits/rememberedTimeouts``) so that an
/// answer arriving after the timeout gets `410 Gone` as from Lambda, not `400 InvalidRequestID`. Each is consumed by
/// the first late answer, as Lambda's own Runtime API does.
struct TimedOutInvocations {
    private var members: Set<String> = []
    private var order: [String] = []

    mutating func insert(_ requestID: String) {
        guard members.insert(requestID).inserted else { return }
        order.append(requestID)
        if order.count > Limits.rememberedTimeouts {
            members.remove(order.removeFirst())
        }
    }

    /// True (and forgotten) when `requestID` timed out.
    mutating func consume(_ requestID: String) -> Bool {
        guard members.remove(requestID) != nil else { return false }
        order.removeAll { $0 == requestID }
        return true
    }
}
