internal import Bytes
internal import FuzzSupport
internal import LambdaHTTP
internal import Middleware
internal import WardenCrypto
internal import WardenJSON

/// Signature scheme v2 (docs/SIGNING.md) round trip: a request signed with `HMACVerification.signatureV2` verifies,
/// and the same request with any one signed part changed does not.
///
/// Input: seven fields separated by line feeds (the last, the body, takes the rest): `MODE`, method, path, nonce
/// material, client material, timestamp offset, body. `MODE` is two bytes: the change to make (below) and where the
/// headers go (`h` `headers`, `m` `multiValueHeaders`, `l` `headers` with lower-case names, `b` both). The harness
/// makes a valid nonce (16–128 of `[A-Za-z0-9_-]`) and client (1–128 printable bytes) from their material and a
/// timestamp within ±5 minutes of its clock from the offset's digits, so every input starts from a request that must
/// verify. Changes (first byte of `MODE`), each of which must make verification fail unless said otherwise:
/// `m` the method, `p` the path, `t` the timestamp by 1 ms, `z` the timestamp with a leading zero (same instant,
/// other text), `n` one nonce character, `c` the client, `b` one body byte, `s` one signature digit, `k` the verifier's
/// key, `x` a third key of a rotating client, `d` a second, different `X-Timestamp` (ambiguous), `6` six signatures in
/// the list, `e` an empty list entry; still valid: `u` the signature in upper-case hex, `r` the second key of a
/// rotating client, `L` the signature among decoys (at most five entries); anything else: no change.
///
/// Invariants: the unchanged request verifies as the client with scheme v2 and replay key `v2:<client>:<nonce>`;
/// every change above is refused with `401 UNAUTHORIZED` and a message without digits, the valid ones verify.
enum V2SignFuzz {
    static let nowMilliseconds: Int64 = 1_700_000_000_000
    static let sharedSecret = Array("fuzz-v2-shared-secret-0123456789abcdef".utf8)
    static let otherSecret = Array("fuzz-v2-other-secret-0123456789abcdef".utf8)
    static let rotatingKeys = [Array("partner-key-old-0123456789abcdef".utf8), Array("partner-key-new-0123456789abcdef".utf8)]
    static let unknownKey = Array("partner-key-unknown-0123456789abc".utf8)
    static let nonceAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static let shared = HMACVerification(secret: sharedSecret)
    static let other = HMACVerification(secret: otherSecret)
    static let rotating = HMACVerification(
        keyring: ClientKeyring(clients: ["partner": .init(keys: rotatingKeys, schemes: [.v2])]))

    struct Parts {
        var method: String
        var path: String
        var timestamp: String
        var nonce: String
        var client: String
        var body: [UInt8]
    }

    static func run(_ input: [UInt8]) {
        let f = Fuzz.fields(input, count: 7)
        let change = f[0].first ?? 0
        // The unchanged request is never ambiguous: `d` (two timestamps) is a change, not a layout.
        let layout = f[0].count > 1 && Array("mlb".utf8).contains(f[0][1]) ? f[0][1] : UInt8(ascii: "h")
        let text = { (i: Int) in String(decoding: f[i], as: UTF8.self) }
        var nonce = f[3].prefix(128).map { nonceAlphabet[Int($0) % nonceAlphabet.count] }
        while nonce.count < 16 { nonce.append(UInt8(ascii: "0")) }
        let rotates = change == UInt8(ascii: "r") || change == UInt8(ascii: "x")
        var client = f[4].prefix(128).map { 0x21 + $0 % 94 }
        if client.isEmpty || rotates { client = Array("partner".utf8) }
        let offset = Int64(String(decoding: f[5].filter { $0 >= 0x30 && $0 <= 0x39 }.prefix(9), as: UTF8.self)) ?? 0
        let timestamp = String(nowMilliseconds - 300_000 + offset % 600_001)
        var parts = Parts(
            method: text(1).isEmpty ? "POST" : text(1), path: text(2), timestamp: timestamp,
            nonce: String(decoding: nonce, as: UTF8.self), client: String(decoding: client, as: UTF8.self), body: f[6]
        )
        let verifier = rotates ? rotating : shared
        let key = rotates ? rotatingKeys[0] : sharedSecret

        // The request as signed verifies.
        let signature = sign(parts, key: key)
        guard let original = request(parts, signatureHeader: "v2=" + signature, layout: layout) else { return }
        guard let verified = verify(verifier, original, expectValid: true) else { return }
        Fuzz.check(verified.clientID == parts.client && verified.scheme == .v2, "verified client or scheme")
        Fuzz.check(verified.replayKey(function: "f") == "v2:\(parts.client):\(parts.nonce)", "v2 replay key")

        // From here `parts` is what the request says; the signature still covers the original parts.
        var header = "v2=" + signature
        var useVerifier = verifier
        var valid = false
        var ambiguous = false
        switch change {
        case UInt8(ascii: "m"): parts.method = parts.method.uppercased() == "POST" ? "PUT" : "POST"
        case UInt8(ascii: "p"): parts.path += parts.path.hasSuffix("x") ? "y" : "x"
        case UInt8(ascii: "t"):
            let ms = nowMilliseconds - 300_000 + offset % 600_001
            parts.timestamp = String(ms < nowMilliseconds ? ms + 1 : ms - 1)
        case UInt8(ascii: "z"): parts.timestamp = "0" + parts.timestamp
        case UInt8(ascii: "n"):
            var bytes = Array(parts.nonce.utf8)
            bytes[0] = bytes[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            parts.nonce = String(decoding: bytes, as: UTF8.self)
        case UInt8(ascii: "c"):
            parts.client = parts.client.utf8.count < 128 ? parts.client + "x" : String(parts.client.dropLast())
        case UInt8(ascii: "b"):
            if parts.body.isEmpty { parts.body = [0x20] } else { parts.body[parts.body.count / 2] ^= 0x01 }
        case UInt8(ascii: "s"):
            var digits = Array(signature.utf8)
            let at = Int(f[5].first ?? 0) % digits.count
            digits[at] = digits[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            header = "v2=" + String(decoding: digits, as: UTF8.self)
        case UInt8(ascii: "k"): useVerifier = other
        case UInt8(ascii: "x"): header = "v2=" + sign(parts, key: unknownKey)
        case UInt8(ascii: "d"): ambiguous = true
        case UInt8(ascii: "6"): header = Array(repeating: "v2=" + signature, count: 6).joined(separator: ",")
        case UInt8(ascii: "e"): header = "v2=" + signature + ","
        case UInt8(ascii: "u"):
            header = "v2=" + signature.uppercased()
            valid = true
        case UInt8(ascii: "r"):
            header = "v2=" + sign(parts, key: rotatingKeys[1])
            valid = true
        case UInt8(ascii: "L"):
            let decoys = (0..<Int(f[5].last ?? 0) % 5).map { "v2=" + Hex.encode(Crypto.sha256([UInt8($0)])) }
            var list = decoys
            list.insert("v2=" + signature, at: Int(f[5].first ?? 0) % (decoys.count + 1))
            header = list.joined(separator: Int(f[5].count) % 2 == 0 ? "," : " , ")
            valid = true
        default:
            return
        }
        guard let changed = request(parts, signatureHeader: header, layout: ambiguous ? UInt8(ascii: "d") : layout) else { return }
        verify(useVerifier, changed, expectValid: valid)
    }

    static func sign(_ p: Parts, key: [UInt8]) -> String {
        HMACVerification.signatureV2(
            key: key, method: p.method, path: p.path, timestamp: p.timestamp, nonce: p.nonce, client: p.client, body: p.body)
    }

    @discardableResult
    static func verify(_ verifier: HMACVerification, _ request: HTTPRequest, expectValid: Bool) -> VerifiedRequest? {
        do {
            let verified = try verifier.verify(request, nowMilliseconds: nowMilliseconds)
            Fuzz.check(expectValid, "a changed request verified")
            return verified
        } catch {
            Fuzz.check(!expectValid, "a correctly signed request was refused: \(error.message)")
            Fuzz.check(error.code == .unauthorized, "verification failed with \(error.code)")
            Fuzz.check(!error.message.utf8.contains { $0 >= 0x30 && $0 <= 0x39 }, "an error message with digits")
            return nil
        }
    }

    /// A REST (payload 1.0) event; a body that is not UTF-8 goes base64-encoded.
    static func request(_ p: Parts, signatureHeader: String, layout: UInt8) -> HTTPRequest? {
        var headers: [(String, String)] = [
            ("X-Timestamp", p.timestamp), ("X-Client", p.client), ("X-Nonce", p.nonce), ("X-Signature", signatureHeader),
        ]
        if layout == UInt8(ascii: "l") { headers = headers.map { ($0.0.lowercased(), $0.1) } }
        var single = JSONObject(), multi = JSONObject()
        for (name, value) in headers {
            if layout != UInt8(ascii: "m") { single.append(key: name, value: .string(value)) }
            if layout == UInt8(ascii: "m") || layout == UInt8(ascii: "b") || layout == UInt8(ascii: "d") {
                var values: [JSON] = [.string(value)]
                if layout == UInt8(ascii: "d"), name == "X-Timestamp" { values.append(.string(value + "1")) }
                multi.append(key: name, value: .array(values))
            }
        }
        let text = String(decoding: p.body, as: UTF8.self)
        let isText = Array(text.utf8) == p.body
        let event: JSON = [
            "resource": .string(p.path), "path": .string(p.path), "httpMethod": .string(p.method),
            "headers": .object(single), "multiValueHeaders": .object(multi),
            "requestContext": ["stage": "prod", "requestId": "fuzz"],
            "body": .string(isText ? text : Base64.standard.encode(p.body)), "isBase64Encoded": .bool(!isText),
        ]
        do {
            let request = try HTTPRequest(event: event.serialized())
            Fuzz.check(request.path == p.path && request.body == p.body, "the harness's request changed on the way in")
            return request
        } catch {
            Fuzz.check(false, "the harness's event was refused")
            return nil
        }
    }
}

@main struct V2SignFuzzMain {
    static func main() { Fuzz.main(V2SignFuzz.run) }
}
