import Bytes
import Foundation
import TestSupport
import Testing
import WardenJSON

@testable import LambdaHTTP

/// `HTTPRequest(event:)` reads events in one pass (`JSONReader`); these tests hold it to the tree-based decoding it
/// replaced (written out below as the oracle, exactly as it was): the same events accepted, the same refused, and the
/// same method, path, header fields (order included), query, body and body encoding from each.
@Suite struct HTTPEventDecodingTests {
    /// What the tree-based decoding gave: `nil` for a refused event.
    struct Decoded: Equatable, CustomStringConvertible {
        var method: String
        var path: String
        var headerFields: [String]
        var body: [UInt8]?
        var bodyWasBase64Encoded: Bool
        var queryParameters: [String: String]

        init(method: String, path: String, headerFields: [(name: String, value: String)], body: [UInt8]?, base64: Bool, query: [String: String]) {
            self.method = method
            self.path = path
            // Name and value side by side, bytes exact (String == would equate canonically equivalent texts).
            self.headerFields = headerFields.map { Hex.encode(Array($0.name.utf8)) + ":" + Hex.encode(Array($0.value.utf8)) }
            self.body = body
            self.bodyWasBase64Encoded = base64
            self.queryParameters = query
        }

        init(_ request: HTTPRequest) {
            self.init(
                method: request.method, path: request.path, headerFields: request.headerFields.map { ($0.name, $0.value) }, body: request.body,
                base64: request.bodyWasBase64Encoded, query: request.queryParameters)
        }

        var description: String { "\(method) \(path) \(headerFields) \(queryParameters) \(body.map { Hex.encode($0) } ?? "nil") \(bodyWasBase64Encoded)" }
    }

    /// The decoding `HTTPRequest(event:)` did before `JSONReader`, line for line over `JSON.parse`'s tree.
    static func oracle(_ event: [UInt8]) -> Decoded? {
        guard let root = try? JSON.parse(event, options: JSONParseOptions(maxDepth: 32)), let object = root.objectValue
        else { return nil }
        let context = object["requestContext"]
        let method: String
        let path: String
        if let m = object["httpMethod"]?.stringValue {
            method = m.uppercased()
            path = object["path"]?.stringValue ?? "/"
        } else if let m = context?["http"]?["method"]?.stringValue {
            method = m.uppercased()
            path = HTTPRequest.removingStage(context?["stage"]?.stringValue, from: object["rawPath"]?.stringValue ?? "/")
        } else {
            return nil
        }
        var fields: [(name: String, value: String)] = []
        if let single = object["headers"]?.objectValue {
            for (name, value) in single {
                if let v = value.stringValue { fields.append((name, v)) }
            }
        }
        if let multi = object["multiValueHeaders"]?.objectValue {
            for (name, value) in multi {
                for item in value.arrayValue ?? [] {
                    if let v = item.stringValue { fields.append((name, v)) }
                }
            }
        }
        var query: [String: String] = [:]
        for (name, value) in object["queryStringParameters"]?.objectValue ?? JSONObject() {
            if let v = value.stringValue { query[name] = v }
        }
        switch object["body"] {
        case .string(let text)?:
            if object["isBase64Encoded"]?.boolValue == true {
                guard let decoded = Base64.standard.decode(text.utf8) else { return nil }
                return Decoded(method: method, path: path, headerFields: fields, body: decoded, base64: true, query: query)
            }
            return Decoded(method: method, path: path, headerFields: fields, body: Array(text.utf8), base64: false, query: query)
        default:
            return Decoded(method: method, path: path, headerFields: fields, body: nil, base64: false, query: query)
        }
    }

    static func decoded(_ event: [UInt8]) -> Decoded? {
        (try? HTTPRequest(event: event)).map(Decoded.init)
    }

    /// Asserts both decodings agree on `event`; returns whether it was accepted.
    @discardableResult
    static func expectSame(_ event: [UInt8], _ note: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let expected = oracle(event)
        let actual = decoded(event)
        #expect(actual == expected, "\(note()) event \(String(decoding: event.prefix(300), as: UTF8.self))", sourceLocation: sourceLocation)
        return expected != nil
    }

    // MARK: Events

    /// The repository's sample events (`events/<function>/*.json`).
    static let sampleEvents: [(name: String, bytes: [UInt8])] = {
        let root = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        var found: [(String, [UInt8])] = []
        let directory = "/" + root + "/events"
        let files = FileManager.default
        for function in (try? files.contentsOfDirectory(atPath: directory)) ?? [] {
            for file in (try? files.contentsOfDirectory(atPath: directory + "/" + function)) ?? [] where file.hasSuffix(".json") {
                if let data = files.contents(atPath: directory + "/" + function + "/" + file) {
                    found.append((function + "/" + file, Array(data)))
                }
            }
        }
        return found.sorted { $0.0 < $1.0 }
    }()

    /// Events shaped as each source sends them: REST (payload 1.0), HTTP API (2.0) on a named and the `$default`
    /// stage, a Function URL (2.0), with text and base64 bodies, queries and repeated header fields.
    static let generatedEvents: [[UInt8]] = {
        var events: [JSON] = []
        let headers: JSON = [
            "Content-Type": "application/json", "Host": "api.example.com", "Origin": "http://localhost:3000",
            "X-Client": "copilot-frontend", "X-Timestamp": "1700000000000", "x-unicode": "caf\u{E9} \u{1F600}",
        ]
        for body in [JSON.null, "{\"customerId\":\"acme\"}", "", "line\nbreak \"quoted\" \\ \u{7F} \u{1}"] {
            for method in ["POST", "options", "Get"] {
                events.append([
                    "resource": "/calculate_health", "path": "/calculate_health", "httpMethod": .string(method),
                    "headers": headers,
                    "multiValueHeaders": ["Content-Type": ["application/json"], "X-Forwarded-For": ["198.51.100.7", "203.0.113.10"]],
                    "queryStringParameters": ["period": "30", "verbose": "true"],
                    "multiValueQueryStringParameters": ["period": ["30"]], "pathParameters": nil, "stageVariables": nil,
                    "requestContext": [
                        "resourcePath": "/calculate_health", "httpMethod": .string(method), "stage": "prod",
                        "requestTimeEpoch": 1_428_582_896_000, "identity": ["sourceIp": "127.0.0.1", "cognitoIdentityId": nil],
                    ],
                    "body": body, "isBase64Encoded": false,
                ])
            }
            for stage in ["prod", "$default"] {
                events.append([
                    "version": "2.0", "routeKey": "POST /api/participants", "rawPath": .string(stage == "prod" ? "/prod/api/participants" : "/api/participants"),
                    "rawQueryString": "limit=10&cursor=abc", "cookies": ["a=1", "b=2"], "headers": headers,
                    "queryStringParameters": ["limit": "10", "cursor": "abc"],
                    "requestContext": [
                        "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com", "stage": .string(stage),
                        "http": ["method": "post", "path": "/api/participants", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"],
                        "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1_583_348_638_390,
                    ],
                    "body": body, "isBase64Encoded": false,
                ])
            }
            // A Function URL (buffered or streamed), body base64-encoded as Lambda sends binary content.
            let bytes = body.stringValue.map { Array($0.utf8) } ?? [0xFF, 0x00, 0x80]
            events.append([
                "version": "2.0", "routeKey": "$default", "rawPath": "/export", "rawQueryString": "", "headers": headers,
                "requestContext": [
                    "accountId": "anonymous", "apiId": "abc123", "domainName": "abc123.lambda-url.us-east-1.on.aws",
                    "http": ["method": "GET", "path": "/export", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl"],
                    "stage": "$default", "timeEpoch": 1_583_348_638_390,
                ],
                "body": .string(Base64.standard.encode(bytes)), "isBase64Encoded": true,
            ])
        }
        return events.map { $0.serialized() }
    }()

    /// Hand-written events probing one rule each.
    static let probes: [String] = [
        // Repeated members: the last counts, whatever its type; repeated header fields all count, in order.
        #"{"httpMethod":"GET","httpMethod":"POST","path":"/a","path":"/b"}"#,
        #"{"httpMethod":"GET","httpMethod":7,"requestContext":{"http":{"method":"PUT"}},"rawPath":"/r"}"#,
        #"{"requestContext":{"http":{"method":"GET"}},"requestContext":{"stage":"prod"},"rawPath":"/prod/x"}"#,
        #"{"requestContext":{"http":{"method":"GET"},"http":{"path":"/"}},"rawPath":"/x"}"#,
        #"{"requestContext":{"http":{"method":"GET","method":null}},"rawPath":"/x"}"#,
        #"{"requestContext":{"http":{"method":"get"},"stage":"prod","stage":"dev"},"rawPath":"/dev/x"}"#,
        #"{"requestContext":{"http":{"method":"GET"},"stage":1},"rawPath":"/1/x"}"#,
        #"{"httpMethod":"GET","headers":{"A":"1","a":"2","A":"3","B":4,"C":null,"D":["x"]},"headers":{"Z":"z"}}"#,
        #"{"httpMethod":"GET","headers":{"A":"1"},"headers":null}"#,
        #"{"httpMethod":"GET","multiValueHeaders":{"A":["1",2,"3",null,["4"],{"5":"5"}],"B":"6","A":["7"]},"headers":{"A":"0"}}"#,
        #"{"httpMethod":"GET","multiValueHeaders":{"A":["1"]},"multiValueHeaders":{"B":["2"]}}"#,
        #"{"httpMethod":"GET","queryStringParameters":{"a":"1","a":"2","b":3},"queryStringParameters":{"c":"4","c":"5"}}"#,
        #"{"httpMethod":"GET","queryStringParameters":{"\u00e9":"nfc","e\u0301":"nfd"}}"#,
        #"{"httpMethod":"GET","body":"a","body":{"b":1}}"#,
        #"{"httpMethod":"GET","body":"eyJhIjoxfQ==","isBase64Encoded":true,"isBase64Encoded":"true"}"#,
        #"{"httpMethod":"GET","isBase64Encoded":true,"body":"eyJhIjoxfQ"}"#,
        #"{"httpMethod":"GET","isBase64Encoded":true,"body":"not base64!"}"#,
        #"{"httpMethod":"GET","isBase64Encoded":true,"body":null}"#,
        #"{"httpMethod":"GET","isBase64Encoded":1,"body":"eyJhIjoxfQ=="}"#,
        // Escaped keys and values: keys compare decoded (and as Swift strings compare).
        #"{"\u0068ttpMethod":"G\u0045T","pa\u0074h":"\/x\ty","h\u0065aders":{"\u0041":"\ud83d\ude00"}}"#,
        #"{"httpMethod":"GET","headers":{"\u212Aey":"kelvin","Key":"k"}}"#,
        #"{"http\u004dethod":"GET","body":"\u0000\u001f\"\\"}"#,
        // Methods: upper-cased as Swift does (beyond ASCII too), whatever the key order.
        #"{"path":"/p","httpMethod":"stra\u00dfe"}"#,
        #"{"rawPath":"/p","requestContext":{"stage":"$default","http":{"method":"\u00e9tat"}}}"#,
        // Not proxy events.
        #"{}"#, #"[]"#, #""GET""#, #"null"#, #"{"httpMethod":null}"#, #"{"requestContext":{"http":"GET"}}"#,
        #"{"requestContext":[{"http":{"method":"GET"}}]}"#, #"{"HTTPMethod":"GET"}"#, #"{"httpMethod ":"GET"}"#,
        // Refused as JSON wherever the flaw is.
        #"{"httpMethod":"GET","x":[1,2,]}"#, #"{"httpMethod":"GET"} x"#, #"{"httpMethod":"GET","n":01}"#,
        #"{"httpMethod":"GET","n":1e400}"#, #"{"httpMethod":"GET","n":-1e309}"#, #"{"httpMethod":"GET","s":"\ud800"}"#,
        #"{"httpMethod":"GET","s":"\udc00\ud800"}"#, #"{"httpMethod":"GET","s":"\x"}"#, #"{"httpMethod":"GET","s":"\u12G4"}"#,
        #"{"httpMethod":"GET",}"#, #"{"httpMethod":"GET" "path":"/"}"#, #"{"httpMethod":"GET","path"}"#,
        #"{"httpMethod":"GET","t":tru}"#, #"{"httpMethod":"GET","t":NaN}"#, #"{"httpMethod":"GET","a":[}"#,
        #"{"httpMethod":"GET","a":{]}"#, #"{"httpMethod":"GET","a":[1}"#, #"{"httpMethod":"GET","a":{"b":1]}"#,
        // Accepted numbers and literals wherever they are.
        #"{"httpMethod":"GET","n":[0,-0,1.5e3,-2E-2,123456789012345678901234567890,1e308,-9223372036854775809]}"#,
        #" {"httpMethod":"GET","t":[true,false,null,{},[],"",{"":""}]} "#,
    ]

    /// Objects and arrays nested `levels` deep (the document's own object is the first level).
    static func nested(_ levels: Int, array: Bool, at member: String) -> [UInt8] {
        let open = array ? "[" : #"{"k":"#
        let close = array ? "]" : "}"
        let inner = String(repeating: open, count: levels - 1) + "1" + String(repeating: close, count: levels - 1)
        return Array(#"{"httpMethod":"GET","\#(member)":\#(inner)}"#.utf8)
    }

    // MARK: Tests

    @Test func sampleEventsDecodeAsBefore() {
        #expect(Self.sampleEvents.count >= 40, "events/ not found")
        var accepted = 0
        for (name, event) in Self.sampleEvents where Self.expectSame(event, name) {
            accepted += 1
        }
        // The scheduled events (EventBridge) are not HTTP proxy events; every other sample is.
        #expect(accepted == Self.sampleEvents.filter { !$0.name.hasPrefix("retention/") && !$0.name.hasPrefix("enrichment_worker/") }.count)
    }

    @Test func generatedEventsDecodeAsBefore() throws {
        for event in Self.generatedEvents {
            #expect(Self.expectSame(event))
        }
        // And what they give, spelled out for one of each shape.
        let v2 = try HTTPRequest(event: Self.generatedEvents[3])
        #expect(v2.method == "POST" && v2.path == "/api/participants" && v2.queryParameters == ["limit": "10", "cursor": "abc"])
        let url = try HTTPRequest(event: Self.generatedEvents[5])
        #expect(url.method == "GET" && url.path == "/export" && url.body == [0xFF, 0x00, 0x80] && url.bodyWasBase64Encoded)
    }

    @Test func probesDecodeAsBefore() {
        var accepted = 0
        for probe in Self.probes where Self.expectSame(Array(probe.utf8), probe) {
            accepted += 1
        }
        #expect(accepted == 22)
    }

    @Test func probesGiveWhatTheRulesSay() throws {
        func request(_ text: String) throws -> HTTPRequest { try HTTPRequest(event: Array(text.utf8)) }
        let last = try request(Self.probes[0])
        #expect(last.method == "POST" && last.path == "/b")
        let typed = try request(Self.probes[1])
        #expect(typed.method == "PUT" && typed.path == "/r")
        #expect(throws: HTTPEventError.self) { try request(Self.probes[2]) }
        let headers = try request(Self.probes[7])
        #expect(headers.headerFields.map { "\($0.name)=\($0.value)" } == ["Z=z"])
        let multi = try request(Self.probes[9])
        #expect(multi.headerFields.map { "\($0.name)=\($0.value)" } == ["A=0", "A=1", "A=3", "A=7"])
        #expect(try request(Self.probes[11]).queryParameters == ["c": "5"])
        let escaped = try request(Self.probes[19])
        #expect(escaped.method == "GET" && escaped.path == "/x\ty" && escaped.headerFields.first?.value == "\u{1F600}")
        #expect(try request(Self.probes[22]).method == "STRASSE")
    }

    @Test func nestingLimitIsThirtyTwoLevels() {
        for member in ["requestContext", "headers", "multiValueHeaders", "other", "body"] {
            for array in [false, true] {
                #expect(Self.expectSame(Self.nested(31, array: array, at: member)))
                #expect(Self.expectSame(Self.nested(32, array: array, at: member)))
                #expect(!Self.expectSame(Self.nested(33, array: array, at: member)))
                #expect(!Self.expectSame(Self.nested(200, array: array, at: member)))
            }
        }
        // The v2 method three levels down, at the limit.
        let deep = Array(#"{"requestContext":{"http":{"method":"GET","x":\#(String(repeating: "[", count: 29))\#(String(repeating: "]", count: 29))}},"rawPath":"/"}"#.utf8)
        #expect(Self.expectSame(deep))
        let tooDeep = Array(#"{"requestContext":{"http":{"method":"GET","x":\#(String(repeating: "[", count: 30))\#(String(repeating: "]", count: 30))}},"rawPath":"/"}"#.utf8)
        #expect(!Self.expectSame(tooDeep))
    }

    /// Thousands of deterministic mutations of real events: byte flips, truncations, inserted fragments (duplicate
    /// members, deep nesting, escapes, ill-formed UTF-8, huge numbers, stray separators).
    @Test func mutatedEventsDecodeAsBefore() {
        var random = SplitMix64(seed: 0x5EED_17)
        let seeds = Self.sampleEvents.map(\.bytes) + Self.generatedEvents + Self.probes.map { Array($0.utf8) }
        let fragments: [[UInt8]] = [
            #","httpMethod":"PATCH""#, #","path":"/dup""#, #","headers":{"X-Dup":"1"}"#, #","body":"dup""#,
            #","isBase64Encoded":true"#, #","requestContext":{"http":{"method":"delete"},"stage":"s"}"#,
            #","multiValueHeaders":{"M":["1","2"]}"#, #","queryStringParameters":{"q":"1"}"#,
            #""\ud83d\ude00""#, #""\ud83d""#, #""\u00e9\u212a""#, #"\"#, #"\u"#, #"\uD800\uDC00"#, "\u{0}", "\u{1F}",
            "1e400", "-0.0e-0", "123456789012345678901234567890", "1.", ".5", "-", "01", "tru", "nul", "NaN",
            "[", "]", "{", "}", ",", ":", "\"", " ", "\t\r\n",
            String(repeating: "[", count: 33), String(repeating: "{\"a\":", count: 33),
        ].map { Array($0.utf8) } + [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xEF, 0xBB, 0xBF]]
        var accepted = 0
        var refused = 0
        for round in 0..<4000 {
            var event = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0...(random.next() % 3) {
                guard !event.isEmpty else { break }
                let at = Int(random.next() % UInt64(event.count + 1))
                switch random.next() % 6 {
                case 0:
                    if at < event.count { event[at] = UInt8(truncatingIfNeeded: random.next()) }
                case 1:
                    if at < event.count { event[at] ^= 1 << UInt8(random.next() % 8) }
                case 2:
                    event.removeSubrange(at...)
                case 3, 4:
                    event.insert(contentsOf: fragments[Int(random.next() % UInt64(fragments.count))], at: at)
                default:
                    // A member added before the closing brace: a duplicate most of the time.
                    if let close = event.lastIndex(of: UInt8(ascii: "}")) {
                        event.insert(contentsOf: fragments[Int(random.next() % 8)], at: close)
                    }
                }
            }
            if Self.expectSame(event, "round \(round)") { accepted += 1 } else { refused += 1 }
        }
        // Both outcomes are well represented, so both paths were compared.
        #expect(accepted > 400 && refused > 400, "accepted \(accepted), refused \(refused)")
    }
}
