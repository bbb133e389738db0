/// An invocation waiting in the queue for the function process to ask for it.
struct PendingInvocation {
    var requestID: String
    var payload: [UInt8]
    var clientContext: String?
    var cognitoIdentity: String?
    var enqueuedAt: ContinuousClock.Instant
    var delivery: InvocationDelivery
}
