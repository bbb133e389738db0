/// What `GET /runtime/invocation/next` hands to the function.
struct NextEvent: Sendable {
    var requestID: String
    var payload: [UInt8]
    var deadlineMs: Int64
    var functionARN: String
    var traceID: String
    var clientContext: String?
    var cognitoIdentity: String?
    /// `Lambda-Runtime-Aws-Tenant-Id`, when the invoke named a tenant.
    var tenantID: String?
    /// `Lambda-Runtime-Invocation-Id`: new for every delivery; an answer that carries another one is refused.
    var invocationID: String

    /// The 200 response carrying the event and its `Lambda-Runtime-*` headers.
    var reply: HTTPReply {
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", requestID),
            ("Lambda-Runtime-Deadline-Ms", String(deadlineMs)),
            ("Lambda-Runtime-Invoked-Function-Arn", functionARN),
            ("Lambda-Runtime-Trace-Id", traceID),
        ]
        if let clientContext { headers.append(("Lambda-Runtime-Client-Context", clientContext)) }
        if let cognitoIdentity { headers.append(("Lambda-Runtime-Cognito-Identity", cognitoIdentity)) }
        if let tenantID { headers.append(("Lambda-Runtime-Aws-Tenant-Id", tenantID)) }
        headers.append(("Lambda-Runtime-Invocation-Id", invocationID))
        return HTTPReply(status: 200, headers: headers, body: payload)
    }
}
