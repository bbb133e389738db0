internal import Bytes
internal import FuzzSupport
internal import LambdaHTTP
internal import Middleware
internal import WardenCrypto
internal import WardenJSON

/// Signature-header parsing and verification (`HMACVerification`, `ClientKeyring`).
///
/// Input: eight fields separated by line feeds (the last, the body, takes the rest):
/// `MODE`, `X-Timestamp`, `X-Client`, `X-Signature` (or a template, see below), `X-Nonce`, method, path, body.
/// `MODE` is three characters:
/// 1. what `X-Signature` holds — `r` (or any other byte) the field as given; `1` the correct v1 signature
///    (lower-case hex); `U` the same upper-case; `2` the field with every `$` replaced by the correct v2 signature
///    (just `v2=<sig>` when it has no `$`); `x` the correct v1 signature with one digit changed (the field's first
///    byte picks which); `k` no request: the fields after the mode, joined, are a `WARDEN_CLIENTS` document for
///    `ClientKeyring.parse`;
/// 2. the keyring — `s` the copilot's shared secret (any client), `n` named clients (`copilot-frontend`: v1 and v2,
///    two keys, the body's length picks the signing one; `reports-job`: v2 only);
/// 3. where the headers go — `h` `headers`, `m` `multiValueHeaders`, `b` both, `l` `headers` with lower-case names,
///    `d` both with a second, different `X-Timestamp` (ambiguous: must be refused).
///
/// The harness decides independently whether the request must verify (timestamp digits within ±5 minutes of its
/// clock, a printable client of at most 128 bytes the keyring admits for the scheme, a valid nonce and signature list
/// for v2) and checks the verifier agrees; a request signed by nobody never verifies.
enum SignatureFuzz {
    static let nowMilliseconds: Int64 = 1_700_000_000_000
    static let sharedSecret = Array("fuzz-shared-secret-0123456789abcdef".utf8)
    static let frontendKeys = [Array("frontend-key-one-0123456789abcdef".utf8), Array("frontend-key-two-0123456789abcdef".utf8)]
    static let reportsKey = Array("reports-job-key-0123456789abcdef".utf8)
    /// Signs for clients the keyring does not know: their requests must never verify.
    static let strangerKey = Array("nobody-knows-this-key-0123456789".utf8)

    static let shared = HMACVerification(secret: sharedSecret)
    static let named = HMACVerification(
        keyring: ClientKeyring(clients: [
            "copilot-frontend": .init(keys: frontendKeys, schemes: [.v1, .v2]),
            "reports-job": .init(keys: [reportsKey], schemes: [.v2]),
        ]))

    static func run(_ input: [UInt8]) {
        let f = Fuzz.fields(input, count: 8)
        let mode = f[0]
        guard mode.count >= 3 else { return }
        if mode[0] == UInt8(ascii: "k") {
            keyring(Array(input.dropFirst(min(input.count, 4))))
            return
        }
        let text = { (i: Int) in String(decoding: f[i], as: UTF8.self) }
        let (timestamp, client, field, nonce, method, path) = (text(1), text(2), text(3), text(4), text(5), text(6))
        let body = f[7]
        let isNamed = mode[1] == UInt8(ascii: "n")
        let verifier = isNamed ? named : shared

        // The key the harness signs with, and whether the keyring lets this client use each scheme.
        let key: [UInt8]
        var schemes: Set<SignatureScheme> = []
        if !isNamed {
            key = sharedSecret
            schemes = [.v1, .v2]
        } else if client == "copilot-frontend" {
            key = frontendKeys[body.count % 2]
            schemes = [.v1, .v2]
        } else if client == "reports-job" {
            key = reportsKey
            schemes = [.v2]
        } else {
            key = strangerKey
        }
        let v1 = Hex.encode(Crypto.hmacSHA256(key: key, message: Array(timestamp.utf8) + [0x2E] + Array(client.utf8) + [0x2E] + body))
        let eventMethod = method.isEmpty ? "POST" : method
        let canonical = ["WARDEN-HMAC-SHA256-V2", eventMethod.uppercased(), path.isEmpty ? "/" : path, timestamp, nonce, client, Hex.encode(Crypto.sha256(body))]
            .joined(separator: "\n")
        let v2 = Hex.encode(Crypto.hmacSHA256(key: key, message: Array(canonical.utf8)))

        let signature: String
        var mustFail = false
        switch mode[0] {
        case UInt8(ascii: "1"): signature = v1
        case UInt8(ascii: "U"): signature = v1.uppercased()
        case UInt8(ascii: "2"):
            signature = f[3].contains(UInt8(ascii: "$")) ? String(decoding: f[3].flatMap { $0 == UInt8(ascii: "$") ? Array(v2.utf8) : [$0] }, as: UTF8.self) : "v2=" + v2
        case UInt8(ascii: "x"):
            var digits = Array(v1.utf8)
            let at = Int(f[3].first ?? 0) % 64
            digits[at] = digits[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            signature = String(decoding: digits, as: UTF8.self)
            mustFail = true
        default:
            signature = field
        }

        var headers: [(String, String)] = [("X-Timestamp", timestamp), ("X-Client", client), ("X-Signature", signature)]
        if !nonce.isEmpty { headers.append(("X-Nonce", nonce)) }
        let layout = mode[2]
        if layout == UInt8(ascii: "l") { headers = headers.map { (RequestBuilder.lower($0.0), $0.1) } }
        let event = RequestBuilder.restEvent(method: eventMethod, path: path.isEmpty ? "/" : path, headers: headers, layout: layout, body: body)
        let request: HTTPRequest
        do {
            request = try HTTPRequest(event: event)
        } catch {
            Fuzz.check(false, "the harness's event was refused")
            return
        }

        let outcome: Result<VerifiedRequest, EnvelopeError>
        do {
            outcome = .success(try verifier.verify(request, nowMilliseconds: nowMilliseconds))
        } catch {
            outcome = .failure(error)
        }

        // Modes in which the harness made the signature (anything else is the raw field).
        let computed = [UInt8(ascii: "1"), UInt8(ascii: "U"), UInt8(ascii: "2"), UInt8(ascii: "x")].contains(mode[0])
        let ambiguous = layout == UInt8(ascii: "d")
        let isV2 = signature.utf8.starts(with: "v2=".utf8)
        let scheme: SignatureScheme = isV2 ? .v2 : .v1
        var expected = !mustFail && !ambiguous && validTimestamp(timestamp) && validClient(client) && schemes.contains(scheme)
        switch mode[0] {
        case UInt8(ascii: "1"), UInt8(ascii: "U"): break
        case UInt8(ascii: "2"):
            expected = expected && isV2 && validNonce(nonce) && (parseV2List(signature)?.contains(Array(v2.utf8)) ?? false)
        default: expected = false
        }

        switch outcome {
        case .success(let verified):
            Fuzz.check(!mustFail && !ambiguous, "a tampered or ambiguous request verified")
            Fuzz.check(verified.clientID == client && verified.scheme == scheme, "verified client or scheme")
            Fuzz.check(validTimestamp(timestamp) && validClient(client) && schemes.contains(scheme), "verified outside the rules")
            if scheme == .v1 {
                Fuzz.check(RequestBuilder.lower(signature) == v1, "v1 verified without the right MAC")
                Fuzz.check(verified.replayKey(function: "f") == "v1:f:" + v1, "v1 replay key")
            } else {
                Fuzz.check(validNonce(nonce), "v2 verified with an invalid nonce")
                Fuzz.check(parseV2List(signature)?.contains(Array(v2.utf8)) == true, "v2 verified without the right MAC")
                Fuzz.check(verified.replayKey(function: "f") == "v2:\(client):\(nonce)", "v2 replay key")
            }
            if computed { Fuzz.check(expected, "verified although the rules say no") }
        case .failure(let error):
            Fuzz.check(error.code == .unauthorized, "verification failed with \(error.code)")
            Fuzz.check(!expected, "a correctly signed request was refused: \(error.message)")
            Fuzz.check(!error.message.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }), "error message with digits")
        }
    }

    /// `WARDEN_CLIENTS` parsing: every client the document names gets an entry with usable keys, and nobody else.
    static func keyring(_ document: [UInt8]) {
        let text = String(decoding: document, as: UTF8.self)
        guard let keyring = try? ClientKeyring.parse(text) else { return }
        guard case .object(let object)? = try? JSON.parse(text, options: JSONParseOptions(maxDepth: 4, rejectDuplicateKeys: true)) else {
            Fuzz.check(false, "a keyring parsed from a document that is not a JSON object")
            return
        }
        Fuzz.check(!object.isEmpty, "empty keyring accepted")
        for (client, value) in object {
            guard let entry = keyring.entry(for: client) else {
                Fuzz.check(false, "a named client has no entry")
                return
            }
            let documentKeys = value["keys"]?.arrayValue ?? []
            Fuzz.check(!entry.keys.isEmpty && documentKeys.allSatisfy { ($0.stringValue?.utf8.count ?? 0) >= 16 }, "a client without usable keys")
            Fuzz.check(entry.keys.count == value["keys"]?.arrayValue?.count, "key count")
            Fuzz.check(value["schemes"] != nil || entry.schemes == [.v2], "default schemes are not v2 only")
        }
        let stranger = "client-not-in-the-document-\(object.count)"
        Fuzz.check(object.contains(key: stranger) || keyring.entry(for: stranger) == nil, "an unnamed client has an entry")
    }

    /// 1 to 16 ASCII digits within ±5 minutes of the harness's clock.
    static func validTimestamp(_ text: String) -> Bool {
        guard (1...16).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let ms = Int64(text) else {
            return false
        }
        return abs(ms - nowMilliseconds) <= 300_000
    }

    static func validClient(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func validNonce(_ text: String) -> Bool {
        (16...128).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F
            }
    }

    /// The reference reading of a v2 list: 1 to 5 comma-separated `v2=<64 hex>` (spaces around each), as lower-case hex.
    static func parseV2List(_ text: String) -> [[UInt8]]? {
        var out: [[UInt8]] = []
        for part in text.utf8.split(separator: 0x2C, omittingEmptySubsequences: false) {
            var item = Array(part)
            while item.first == 0x20 { item.removeFirst() }
            while item.last == 0x20 { item.removeLast() }
            guard item.starts(with: "v2=".utf8) else { return nil }
            let hex = item.dropFirst(3)
            guard hex.count == 64, hex.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) else {
                return nil
            }
            out.append(hex.map { $0 >= 0x41 && $0 <= 0x46 ? $0 | 0x20 : $0 })
        }
        return (1...5).contains(out.count) ? out : nil
    }
}

/// Building the REST events the harness verifies.
enum RequestBuilder {
    static func lower(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// A REST (payload 1.0) event; a body that is not UTF-8 goes base64-encoded.
    static func restEvent(method: String, path: String, headers: [(String, String)], layout: UInt8, body: [UInt8]) -> [UInt8] {
        var single = JSONObject(), multi = JSONObject()
        for (name, value) in headers {
            if layout != UInt8(ascii: "m") { single.append(key: name, value: .string(value)) }
            if layout == UInt8(ascii: "m") || layout == UInt8(ascii: "b") || layout == UInt8(ascii: "d") {
                var values: [JSON] = [.string(value)]
                if layout == UInt8(ascii: "d"), name == "X-Timestamp" { values.append(.string(value + "0")) }
                multi.append(key: name, value: .array(values))
            }
        }
        let text = String(decoding: body, as: UTF8.self)
        let isText = Array(text.utf8) == body
        let event: JSON = [
            "resource": .string(path), "path": .string(path), "httpMethod": .string(method),
            "headers": .object(single), "multiValueHeaders": .object(multi),
            "requestContext": ["stage": "prod", "requestId": "fuzz"],
            "body": .string(isText ? text : Base64.standard.encode(body)), "isBase64Encoded": .bool(!isText),
        ]
        return event.serialized()
    }
}

@main struct SignatureFuzzMain {
    static func main() { Fuzz.main(SignatureFuzz.run) }
}
