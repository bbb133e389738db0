import WardenJSON

/// Builds API Gateway REST (payload v1) events for the middleware tests.
enum Fixtures {
    static func restEvent(
        method: String = "POST",
        path: String = "/calculate_health",
        headers: [String: String]? = [:],
        multiValueHeaders: [String: [String]]? = nil,
        body: String? = #"{"customerId":"acme"}"#,
        isBase64Encoded: Bool = false
    ) -> [UInt8] {
        var event: JSONObject = [
            "resource": .string(path), "path": .string(path), "httpMethod": .string(method),
            "requestContext": ["requestId": "gw-1", "stage": "prod"],
            "isBase64Encoded": .bool(isBase64Encoded),
        ]
        event.append(key: "headers", value: headers.map { h in .object(JSONObject(h.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })) } ?? .null)
        if let multiValueHeaders {
            event.append(key: "multiValueHeaders", value: .object(JSONObject(multiValueHeaders.sorted { $0.key < $1.key }.map {
                ($0.key, JSON.array($0.value.map { .string($0) }))
            })))
        }
        event.append(key: "body", value: body.map { .string($0) } ?? .null)
        return JSON.object(event).serialized()
    }
}
