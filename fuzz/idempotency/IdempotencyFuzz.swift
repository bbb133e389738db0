internal import Bytes
internal import FuzzSupport
internal import LambdaHTTP
@testable internal import HTTPAPI
internal import Middleware
internal import WardenCrypto
internal import WardenJSON

/// `Idempotency-Key` handling (`Idempotency`): parsing the header, the request fingerprint a stored answer is bound
/// to, and the headers stored with an answer and merged into its replay.
///
/// Input: four fields separated by line feeds, `MODE`, `A`, `B`, `C` (C takes the rest). `MODE`'s first byte:
/// - `k` the header: `A` as `Idempotency-Key` in `headers`; with `MODE`'s second byte `l` the name in lower case,
///   `m` `A` and `B` both in `multiValueHeaders`, `b` `A` in `headers` and `B` in `multiValueHeaders`;
/// - `f` the fingerprint of method `A`, path `B`, body `C` (REST, or an HTTP API event with second byte `2`);
/// - `h` headers: each line of `C` is `name:value`, a line beginning with `+` an override (`merged`).
///
/// Invariants: a key is accepted exactly when it is 1 to 255 bytes of 0x20–0x7E and arrives once (or repeated
/// identically), and the refusal is `400 INVALID_INPUT` with its fixed message; a fingerprint is 64 lower-case hex
/// digits, the same for the same method, path and body whatever the event's format, and different when bytes move
/// between path and body or the method changes; stored headers never hold CORS headers and survive
/// `encode`/`decode`; `merged` replaces each overridden header in place, appends the others, and keeps the rest.
enum IdempotencyFuzz {
    static let invalidKey = EnvelopeError(.invalidInput, "Idempotency-Key must be 1 to 255 printable ASCII characters.")

    static func run(_ input: [UInt8]) {
        let f = Fuzz.fields(input, count: 4)
        guard let mode = f[0].first else { return }
        let variant = f[0].count > 1 ? f[0][1] : 0
        let text = { (i: Int) in String(decoding: f[i], as: UTF8.self) }
        switch mode {
        case UInt8(ascii: "k"): key(text(1), text(2), variant)
        case UInt8(ascii: "f"): fingerprint(method: text(1), path: text(2), body: f[3], v2: variant == UInt8(ascii: "2"))
        case UInt8(ascii: "h"): headers(text(3))
        default: return
        }
    }

    // MARK: The header

    static func key(_ a: String, _ b: String, _ layout: UInt8) {
        var single: [(String, String)] = [], multi: [(String, [String])] = []
        switch layout {
        case UInt8(ascii: "l"): single = [("idempotency-key", a)]
        case UInt8(ascii: "m"): multi = [("Idempotency-Key", [a, b])]
        case UInt8(ascii: "b"): (single, multi) = ([("Idempotency-Key", a)], [("IDEMPOTENCY-KEY", [b])])
        default: single = [("Idempotency-Key", a)]
        }
        guard let request = event(method: "POST", path: "/api/participants", body: nil, single: single, multi: multi, v2: true) else {
            return
        }
        let values = single.map(\.1) + multi.flatMap(\.1)
        let printable = { (v: String) in (1...255).contains(v.utf8.count) && v.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E } }
        let expected: Result<String?, EnvelopeError> =
            Set(values).count == 1 && printable(a) ? .success(a) : .failure(invalidKey)
        let actual: Result<String?, EnvelopeError>
        do {
            actual = .success(try Idempotency.key(request))
        } catch {
            actual = .failure(error)
        }
        Fuzz.check(actual == expected, "Idempotency-Key \(actual), the rules say \(expected)")
        // No header at all: no key, and no refusal.
        if let bare = event(method: "POST", path: "/api/participants", body: nil, single: [], multi: [], v2: true) {
            Fuzz.check((try? Idempotency.key(bare)) == .some(nil), "a key without the header")
        }
    }

    // MARK: The fingerprint

    static func fingerprint(method: String, path: String, body: [UInt8], v2: Bool) {
        guard let request = event(method: method, path: path, body: body, single: [], multi: [], v2: v2) else { return }
        let print = Idempotency.fingerprint(request)
        Fuzz.check(print.utf8.count == 64 && print.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) },
                   "a fingerprint that is not 64 lower-case hex digits")
        // The same request in the other payload format: the same fingerprint.
        if let other = event(method: method, path: path, body: body, single: [], multi: [], v2: !v2) {
            Fuzz.check(Idempotency.fingerprint(other) == print, "the payload format changed the fingerprint")
        }
        // Bytes moved from the body to the end of the path: another request, another fingerprint.
        if let first = body.first, let moved = String(validatingUTF8Prefix: body, count: 1 + Int(first) % body.count) {
            let rest = Array(body.dropFirst(moved.utf8.count))
            if let shifted = event(method: method, path: path + moved, body: rest, single: [], multi: [], v2: v2) {
                Fuzz.check(Idempotency.fingerprint(shifted) != print, "path and body bytes can trade places")
            }
        }
        // The path's last character moved into the body.
        if let last = path.last {
            let shorter = String(path.dropLast())
            if let shifted = event(method: method, path: shorter, body: Array(String(last).utf8) + body, single: [], multi: [], v2: v2) {
                Fuzz.check(Idempotency.fingerprint(shifted) != print, "a path byte moved into the body kept the fingerprint")
            }
        }
        // Another method.
        let otherMethod = request.method == "PUT" ? "POST" : "PUT"
        if let changed = event(method: otherMethod, path: path, body: body, single: [], multi: [], v2: v2) {
            Fuzz.check(Idempotency.fingerprint(changed) != print, "the method is not in the fingerprint")
        }
        // One body byte changed.
        if !body.isEmpty {
            var changedBody = body
            changedBody[changedBody.count / 2] ^= 0x01
            if let changed = event(method: method, path: path, body: changedBody, single: [], multi: [], v2: v2) {
                Fuzz.check(Idempotency.fingerprint(changed) != print, "a body byte is not in the fingerprint")
            }
        }
    }

    // MARK: Stored headers

    static func headers(_ text: String) {
        var base: [(String, String)] = [], overrides: [(String, String)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(line)
            let isOverride = line.first == "+"
            if isOverride { line = line.dropFirst() }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let pair = (String(line[..<colon]), String(line[line.index(after: colon)...]))
            if isOverride { overrides.append(pair) } else { base.append(pair) }
        }
        let isCORS = { (name: String) in
            let lower = name.lowercased()
            return lower.hasPrefix("access-control-") || lower == "vary"
        }

        // storable: a subsequence of the input without exactly the CORS headers.
        let stored = Idempotency.storable(base)
        Fuzz.check(!stored.contains { isCORS($0.0) }, "a CORS header stored")
        var position = 0
        for header in base {
            if position < stored.count, stored[position] == header {
                position += 1
            } else {
                Fuzz.check(isCORS(header.0), "a header other than CORS dropped")
            }
        }
        Fuzz.check(position == stored.count, "storable reordered or invented headers")

        // encode/decode: a JSON object of strings; distinct names come back in order.
        let encoded = Idempotency.encode(stored)
        guard case .object? = try? JSON.parse(Array(encoded.utf8)) else {
            Fuzz.check(false, "encoded headers are not a JSON object")
            return
        }
        let decoded = Idempotency.decode(encoded)
        if Set(stored.map(\.0)).count == stored.count {
            Fuzz.check(decoded.elementsEqual(stored) { $0 == $1 }, "headers lost in encode/decode")
        } else {
            Fuzz.check(decoded.allSatisfy { d in stored.contains { $0 == d } }, "decode invented a header")
        }
        Fuzz.check(Idempotency.decode("not json").isEmpty && Idempotency.decode(nil).isEmpty, "decode of nothing")

        // merged: overrides replace in place (the last for a name wins), new names are appended, the rest stays.
        let merged = Idempotency.merged(base, overrides)
        var lastOverride: [String: String] = [:]
        var newNames: [String] = []
        for (name, value) in overrides {
            let lower = folded(name)
            if lastOverride[lower] == nil && !base.contains(where: { folded($0.0) == lower }) { newNames.append(lower) }
            lastOverride[lower] = value
        }
        Fuzz.check(merged.count == base.count + newNames.count, "merged has the wrong number of headers")
        for (index, header) in base.enumerated() {
            let lower = folded(header.0)
            let isFirst = base.firstIndex { folded($0.0) == lower } == index
            if let value = lastOverride[lower], isFirst {
                Fuzz.check(merged[index].0 == header.0 && merged[index].1 == value, "an override did not replace in place")
            } else {
                Fuzz.check(merged[index] == header, "a header not overridden changed")
            }
        }
        for (offset, lower) in newNames.enumerated() {
            let header = merged[base.count + offset]
            Fuzz.check(folded(header.0) == lower && header.1 == lastOverride[lower], "an override not appended")
        }
    }

    /// A header name as `merged` compares names (lower case).
    static func folded(_ text: String) -> String { text.lowercased() }

    // MARK: Events

    static func event(
        method: String, path: String, body: [UInt8]?, single: [(String, String)], multi: [(String, [String])], v2: Bool
    ) -> HTTPRequest? {
        var headers = JSONObject(), multiValue = JSONObject()
        for (name, value) in single { headers.append(key: name, value: .string(value)) }
        for (name, values) in multi { multiValue.append(key: name, value: .array(values.map { .string($0) })) }
        var bodyMembers: [(String, JSON)] = [("body", .null), ("isBase64Encoded", .bool(false))]
        if let body {
            let text = String(decoding: body, as: UTF8.self)
            bodyMembers = Array(text.utf8) == body
                ? [("body", .string(text)), ("isBase64Encoded", .bool(false))]
                : [("body", .string(Base64.standard.encode(body))), ("isBase64Encoded", .bool(true))]
        }
        var event = JSONObject()
        if v2 {
            event.append(key: "version", value: "2.0")
            event.append(key: "rawPath", value: .string(path))
            event.append(key: "requestContext", value: ["stage": "$default", "http": ["method": .string(method), "path": .string(path)]])
        } else {
            event.append(key: "httpMethod", value: .string(method))
            event.append(key: "path", value: .string(path))
            event.append(key: "requestContext", value: ["stage": "prod"])
        }
        event.append(key: "headers", value: .object(headers))
        event.append(key: "multiValueHeaders", value: .object(multiValue))
        for (key, value) in bodyMembers { event.append(key: key, value: value) }
        do {
            let request = try HTTPRequest(event: JSON.object(event).serialized())
            Fuzz.check(request.path == path && request.body == body, "the harness's request changed on the way in")
            return request
        } catch {
            Fuzz.check(false, "the harness's event was refused: \(error)")
            return nil
        }
    }
}

extension String {
    /// The first `count` bytes of `bytes` as a string, when they are whole UTF-8.
    init?(validatingUTF8Prefix bytes: [UInt8], count: Int) {
        let prefix = Array(bytes.prefix(count))
        let text = String(decoding: prefix, as: UTF8.self)
        guard Array(text.utf8) == prefix else { return nil }
        self = text
    }
}

@main struct IdempotencyFuzzMain {
    static func main() { Fuzz.main(IdempotencyFuzz.run) }
}
