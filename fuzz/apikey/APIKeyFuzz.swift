internal import Bytes
internal import FuzzSupport
internal import LambdaHTTP
@testable internal import HTTPAPI
internal import Middleware
internal import WardenCrypto
internal import WardenJSON

/// API-key parsing (`APIKeyAuthenticator`): which key a request presents (`X-API-Key`, else `Authorization: Bearer
/// wk_…`), the split of `wk_<12 hex>_<48 hex>` into its public prefix, and the roles column's `text[]` form.
///
/// Input: three fields separated by line feeds, `MODE`, `A`, `B` (B takes the rest). `MODE`'s first byte:
/// - `x` `X-API-Key: A`; `a` `Authorization: A`; `b` both (`X-API-Key: A`, `Authorization: B`); `l` the same as `b`
///   with lower-case names in `multiValueHeaders`; `m` `X-API-Key` twice, `A` and `B` (ambiguous when they differ);
///   `z` `Authorization` twice, `A` and `B`;
/// - `k` a well-formed key made from `A`'s bytes (hex of its first 30 bytes, zero-padded), then one byte of it changed
///   to `B`'s first byte at the position `B`'s second byte picks;
/// - `r` the roles `A` split at commas, written as PostgreSQL writes a `text[]` (quoted when needed), parsed back.
///
/// Invariants: the presented key is exactly `X-API-Key`'s single value, else the bearer token when the header
/// starts with `Bearer wk_` (byte for byte), else none; a conflicting `X-API-Key` is `401` with a fixed message;
/// `prefix(of:)` accepts exactly `wk_` + 12 + `_` + 48 lower-case hex digits and returns the 12; a changed byte
/// never keeps both the key and its SHA-256; simple role names survive the `text[]` round trip.
enum APIKeyFuzz {
    static let ambiguous = EnvelopeError(.unauthorized, "Missing or ambiguous credentials.")

    static func run(_ input: [UInt8]) {
        let f = Fuzz.fields(input, count: 3)
        guard let mode = f[0].first else { return }
        let (a, b) = (String(decoding: f[1], as: UTF8.self), String(decoding: f[2], as: UTF8.self))
        switch mode {
        case UInt8(ascii: "k"): mutatedKey(f[1], f[2])
        case UInt8(ascii: "r"): roles(a)
        default: presented(mode, a, b)
        }
    }

    static func presented(_ mode: UInt8, _ a: String, _ b: String) {
        var single: [(String, String)] = [], multi: [(String, [String])] = []
        switch mode {
        case UInt8(ascii: "x"): single = [("X-API-Key", a)]
        case UInt8(ascii: "a"): single = [("Authorization", a)]
        case UInt8(ascii: "b"): single = [("X-API-Key", a), ("Authorization", b)]
        case UInt8(ascii: "l"): multi = [("x-api-key", [a]), ("authorization", [b])]
        case UInt8(ascii: "m"): multi = [("X-Api-Key", [a, b])]
        case UInt8(ascii: "z"): multi = [("authorization", [a, b])]
        default: return
        }
        guard let request = event(single: single, multi: multi) else { return }

        // What the documentation says the request presents.
        let apiKeys = single.filter { $0.0.lowercased() == "x-api-key" }.map(\.1) + multi.filter { $0.0.lowercased() == "x-api-key" }.flatMap(\.1)
        let authorizations = single.filter { $0.0.lowercased() == "authorization" }.map(\.1)
            + multi.filter { $0.0.lowercased() == "authorization" }.flatMap(\.1)
        var expected: Result<String?, EnvelopeError>
        if Set(apiKeys).count > 1 {
            expected = .failure(ambiguous)
        } else if let key = apiKeys.first {
            expected = .success(key)
        } else if Set(authorizations).count == 1, let auth = authorizations.first, auth.utf8.starts(with: "Bearer wk_".utf8) {
            expected = .success(String(decoding: auth.utf8.dropFirst(7), as: UTF8.self))
        } else {
            expected = .success(nil)
        }

        let actual: Result<String?, EnvelopeError>
        do {
            actual = .success(try APIKeyAuthenticator.presentedKey(request))
        } catch {
            actual = .failure(error)
        }
        Fuzz.check(actual == expected, "presented key \(actual) but the rules say \(expected)")

        if case .success(let key?) = actual {
            let prefix = APIKeyAuthenticator.prefix(of: key)
            Fuzz.check(prefix == referencePrefix(key), "prefix(of:) disagrees with the key format")
            if let prefix { Fuzz.check(key.utf8.dropFirst(3).starts(with: prefix.utf8), "prefix is not the key's") }
        }
    }

    /// `wk_` + 12 + `_` + 48 lower-case hex digits: the 12, else nil.
    static func referencePrefix(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        let isHex = { (b: UInt8) in (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) }
        guard bytes.count == 64, bytes.starts(with: "wk_".utf8), bytes[15] == UInt8(ascii: "_"),
            bytes[3..<15].allSatisfy(isHex), bytes[16...].allSatisfy(isHex)
        else { return nil }
        return String(decoding: bytes[3..<15], as: UTF8.self)
    }

    static func mutatedKey(_ material: [UInt8], _ change: [UInt8]) {
        let padded = Array((material + [UInt8](repeating: 0, count: 30)).prefix(30))
        let hex = Hex.encode(padded)
        let key = "wk_" + hex.prefix(12) + "_" + hex.dropFirst(12)
        Fuzz.check(APIKeyAuthenticator.prefix(of: key) == String(hex.prefix(12)), "a well-formed key was not parsed")
        for (name, value) in [("X-API-Key", key), ("Authorization", "Bearer " + key)] {
            guard let request = event(single: [(name, value)], multi: []) else { return }
            Fuzz.check((try? APIKeyAuthenticator.presentedKey(request)) == key, "a well-formed key in \(name) was not presented")
        }
        guard change.count >= 2 else { return }
        var bytes = Array(key.utf8)
        let at = Int(change[1]) % bytes.count
        guard bytes[at] != change[0] else { return }
        bytes[at] = change[0]
        let changed = String(decoding: bytes, as: UTF8.self)
        guard Array(changed.utf8) == bytes else { return }  // not UTF-8: no header can carry it
        let prefix = APIKeyAuthenticator.prefix(of: changed)
        Fuzz.check(prefix == referencePrefix(changed), "prefix(of:) disagrees with the key format after a change")
        Fuzz.check(Crypto.sha256(bytes) != Crypto.sha256(Array(key.utf8)), "two keys with one hash")
        if at >= 3 && at < 15 {
            Fuzz.check(prefix == nil || prefix != String(hex.prefix(12)), "a changed prefix parsed as the old one")
        } else {
            Fuzz.check(prefix == nil || prefix == String(hex.prefix(12)), "a change outside the prefix moved it")
        }
    }

    /// Simple role names (what `warden apikey create --roles` takes) survive PostgreSQL's `text[]` output form.
    static func roles(_ text: String) {
        let names = text.split(separator: ",").map(String.init).filter { name in
            !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x7B && $0 != 0x7D }
                && name.lowercased() != "null"
        }
        let array = "{" + names.joined(separator: ",") + "}"
        Fuzz.check(APIKeyAuthenticator.parseTextArray(array) == names, "roles lost in the text[] round trip")
        // PostgreSQL quotes an element with a space; the quotes are not part of the role.
        let quoted = "{" + names.map { "\"\($0) x\"" }.joined(separator: ",") + "}"
        Fuzz.check(APIKeyAuthenticator.parseTextArray(quoted) == names.map { $0 + " x" }, "quoted roles lost")
    }

    /// An HTTP API event (payload 2.0) with these headers.
    static func event(single: [(String, String)], multi: [(String, [String])]) -> HTTPRequest? {
        var headers = JSONObject(), multiValue = JSONObject()
        for (name, value) in single { headers.append(key: name, value: .string(value)) }
        for (name, values) in multi { multiValue.append(key: name, value: .array(values.map { .string($0) })) }
        let event: JSON = [
            "version": "2.0", "rawPath": "/v1/intent/score", "headers": .object(headers), "multiValueHeaders": .object(multiValue),
            "requestContext": ["stage": "$default", "http": ["method": "POST", "path": "/v1/intent/score"]],
        ]
        do {
            return try HTTPRequest(event: event.serialized())
        } catch {
            Fuzz.check(false, "the harness's event was refused")
            return nil
        }
    }
}

@main struct APIKeyFuzzMain {
    static func main() { Fuzz.main(APIKeyFuzz.run) }
}
