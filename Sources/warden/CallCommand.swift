import ArgumentParser
import Bytes
import Curl
import Emulator
import Foundation
import WardenCrypto

/// `warden call`: a signed copilot tool request for a person at a terminal, with the envelope pretty-printed.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Sign and send a copilot tool request, and pretty-print the envelope.",
        discussion: """
            With an --endpoint whose path is a Lambda invoke path (/2015-03-31/functions/…/invocations, what \
            `warden emulate` serves), the request is wrapped in an API Gateway REST event. Any other endpoint is an \
            HTTP API base URL: the request goes to POST {endpoint}/{tool} with the signature headers. Without \
            --endpoint, the gateway `make run` serves (127.0.0.1:WARDEN_RUN_PORT, 3000, stage prod) is used.
            """
    )

    @Argument(help: "Tool name, e.g. calculate_health.")
    var tool: String

    @Option(help: "The customer (company external id).")
    var customer: String

    @Option(help: "The owner (Clerk user id); omitted means the public tenant.")
    var owner: String?

    @Option(help: "Emulator invoke URL or HTTP API base URL.")
    var endpoint: String?

    @Option(help: "HMAC secret (default: $HMAC_SECRET, else local-dev-secret).")
    var secret: String?

    @Option(help: "X-Client id.")
    var client = "copilot-frontend"

    static let tools = [
        "calculate_health", "generate_email", "generate_qbr_outline", "get_contract_info", "get_customer_usage",
        "get_recent_tickets",
    ]

    func run() throws {
        var params: [String: Any] = [:]
        if let owner { params["ownerUserId"] = owner }
        let bodyObject: [String: Any] = ["customerId": customer, "params": params]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: bodyObject, options: [.sortedKeys]), as: UTF8.self)
        let key = Array((secret ?? ProcessInfo.processInfo.environment["HMAC_SECRET"] ?? EventSigner.defaultSecret).utf8)
        let timestamp = String(Int64(Date().timeIntervalSince1970 * 1000))
        let signature = Hex.encode(Crypto.hmacSHA256(key: key, message: Array("\(timestamp).\(client).\(body)".utf8)))
        let headers = ["Content-Type": "application/json", "X-Client": client, "X-Timestamp": timestamp, "X-Signature": signature]

        let url = try endpoint ?? defaultEndpoint()
        let curl = try CurlEasy()
        let envelopeText: String
        if url.contains("/2015-03-31/functions/") {
            let event: [String: Any] = [
                "resource": "/\(tool)", "path": "/\(tool)", "httpMethod": "POST", "headers": headers,
                "multiValueHeaders": headers.mapValues { [$0] }, "body": body, "isBase64Encoded": false,
                "requestContext": ["requestId": UUID().uuidString.lowercased(), "stage": "local", "httpMethod": "POST"],
            ]
            let payload = Array(try JSONSerialization.data(withJSONObject: event))
            let response = try curl.perform(method: "POST", url: url, body: payload, timeoutMilliseconds: 30_000)
            guard let proxy = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                let text = proxy["body"] as? String
            else {
                throw ValidationError("The function did not answer with an API Gateway proxy response: \(String(decoding: response.body, as: UTF8.self))")
            }
            print("HTTP \(proxy["statusCode"] ?? "?")")
            envelopeText = text
        } else {
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            let response = try curl.perform(
                method: "POST", url: "\(base)/\(tool)", headers: headers.map { HTTPHeader($0.key, $0.value) },
                body: Array(body.utf8), timeoutMilliseconds: 30_000
            )
            print("HTTP \(response.status)")
            envelopeText = String(decoding: response.body, as: UTF8.self)
        }
        if let object = try? JSONSerialization.jsonObject(with: Data(envelopeText.utf8)),
            let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        {
            print(String(decoding: pretty, as: UTF8.self))
        } else {
            print(envelopeText)
        }
    }

    /// The copilot API as `make run` serves it: `warden gateway` on 127.0.0.1:`WARDEN_RUN_PORT` (3000), stage `prod`.
    private func defaultEndpoint() throws -> String {
        guard Self.tools.contains(tool) else {
            throw ValidationError("Unknown tool \(tool); pass --endpoint for other functions.")
        }
        let port = Int(ProcessInfo.processInfo.environment["WARDEN_RUN_PORT"] ?? "") ?? 3000
        return "http://127.0.0.1:\(port)/prod"
    }
}
