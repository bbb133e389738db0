/// An invocation waiting in the queue for the function process to ask for it.
struct PendingInvocation {
    var requestID: String
    var payload: [UInt8]
    var clientContext: String?
    var cognitoIdentity: String?
    /// `X-Amz-Tenant-Id` of the invoke (tenant isolation mode), handed to the function on `/next`.
    var tenantID: String?
    /// `X-Amz-Log-Type: Tail`: the invocation's log is collected for `X-Amz-Log-Result`.
    var capturesLog: Bool
    var enqueuedAt: ContinuousClock.Instant
    var delivery: InvocationDelivery
}
