import TestSupport
import Testing
import WardenJSON

/// The error `JSON.parse` throws for `bytes`, or `nil` (recorded as an issue) when it parses.
func parseError(
    _ bytes: [UInt8],
    options: JSONParseOptions = JSONParseOptions(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> JSONError? {
    do {
        let value = try JSON.parse(bytes, options: options)
        Issue.record("expected a parse error, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Asserts that `text` fails to parse with `code` (and at `offset` when given).
func expectParseError(
    _ text: String,
    _ code: JSONError.Code,
    offset: Int? = nil,
    options: JSONParseOptions = JSONParseOptions(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectParseError(Array(text.utf8), code, offset: offset, options: options, sourceLocation: sourceLocation)
}

/// Asserts that `bytes` fail to parse with `code` (and at `offset` when given).
func expectParseError(
    _ bytes: [UInt8],
    _ code: JSONError.Code,
    offset: Int? = nil,
    options: JSONParseOptions = JSONParseOptions(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = parseError(bytes, options: options, sourceLocation: sourceLocation) else { return }
    #expect(error.code == code, "input \(bytes)", sourceLocation: sourceLocation)
    if let offset {
        #expect(error.offset == offset, sourceLocation: sourceLocation)
    }
}

/// A realistic API Gateway REST (v1) proxy event, about 2.5 KB.
let apiGatewayEvent = """
    {
      "resource": "/calculate_health",
      "path": "/calculate_health",
      "httpMethod": "POST",
      "headers": {
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate, br",
        "Content-Type": "application/json",
        "Host": "api.example.com",
        "Origin": "http://localhost:3000",
        "User-Agent": "copilot-frontend/1.0 (+https://example.com/bot)",
        "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
        "X-Client": "copilot-frontend",
        "X-Forwarded-For": "198.51.100.7, 203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "X-Signature": "sha256=0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
        "X-Timestamp": "1700000000",
        "x-empty": "",
        "x-unicode": "caf\\u00e9 \\ud83d\\ude00 日本"
      },
      "multiValueHeaders": {
        "Accept": ["*/*"],
        "Content-Type": ["application/json"],
        "Host": ["api.example.com"],
        "X-Forwarded-For": ["198.51.100.7, 203.0.113.10"]
      },
      "queryStringParameters": {"period": "30", "verbose": "true"},
      "multiValueQueryStringParameters": {"period": ["30"], "verbose": ["true"]},
      "pathParameters": null,
      "stageVariables": null,
      "requestContext": {
        "resourceId": "2gxmpl",
        "resourcePath": "/calculate_health",
        "httpMethod": "POST",
        "extendedRequestId": "JJbxmplHYosFVYQ=",
        "requestTime": "10/Mar/2020:00:03:59 +0000",
        "path": "/prod/calculate_health",
        "accountId": "123456789012",
        "protocol": "HTTP/1.1",
        "stage": "prod",
        "domainPrefix": "api",
        "requestTimeEpoch": 1583798639428,
        "requestId": "77375676-xmpl-4b79-853a-f982474efe18",
        "identity": {
          "cognitoIdentityPoolId": null,
          "accountId": null,
          "cognitoIdentityId": null,
          "caller": null,
          "sourceIp": "198.51.100.7",
          "principalOrgId": null,
          "accessKey": null,
          "cognitoAuthenticationType": null,
          "cognitoAuthenticationProvider": null,
          "userArn": null,
          "userAgent": "copilot-frontend/1.0",
          "user": null
        },
        "domainName": "api.example.com",
        "apiId": "70ixmpl4fl",
        "latencyMs": 12.5,
        "weights": [1, -2, 3.25, 1e3, -0.0, 0]
      },
      "body": "{\\"customerId\\":\\"hooli\\",\\"params\\":{\\"ownerUserId\\":\\"user_demo_owner\\",\\"periodDays\\":30}}",
      "isBase64Encoded": false
    }
    """

@Suite("JSON parser")
struct JSONParserTests {
    // MARK: Accepted input

    @Test func scalarsAtTopLevel() throws {
        #expect(try JSON.parse("null") == .null)
        #expect(try JSON.parse("true") == .bool(true))
        #expect(try JSON.parse("false") == .bool(false))
        #expect(try JSON.parse("0") == .int(0))
        #expect(try JSON.parse("-12") == .int(-12))
        #expect(try JSON.parse("\"hi\"") == .string("hi"))
        #expect(try JSON.parse(" \t\r\n 42 \n") == .int(42))
    }

    @Test func nestedStructure() throws {
        let value = try JSON.parse(#" { "a" : [1, 2.5, "x", true, null, {"b": []}, {}] , "c":{"d":{"e":"f"}} } "#)
        guard case .object(let root) = value else {
            Issue.record("not an object")
            return
        }
        #expect(root.keys == ["a", "c"])
        #expect(value["a"]?[0] == .int(1))
        #expect(value["a"]?[1] == .double(2.5))
        #expect(value["a"]?[2] == .string("x"))
        #expect(value["a"]?[3] == .bool(true))
        #expect(value["a"]?[4] == .null)
        #expect(value["a"]?[5]?["b"] == .array([]))
        #expect(value["a"]?[6] == .object(JSONObject()))
        #expect(value["a"]?.arrayValue?.count == 7)
        #expect(value["c"]?["d"]?["e"]?.stringValue == "f")
    }

    @Test func parsesEveryInputKind() throws {
        let text = #"{"k":[1,"é"]}"#
        let expected: JSON = ["k": [1, "é"]]
        let bytes = Array(text.utf8)
        #expect(try JSON.parse(text) == expected)
        #expect(try JSON.parse(bytes) == expected)
        #expect(try JSON.parse(bytes[...]) == expected)
        #expect(try JSON.parse(text.utf8) == expected)
        // Not contiguous: takes the copying path.
        #expect(try JSON.parse(bytes.lazy.map { $0 }) == expected)
        let fromBuffer = try bytes.withUnsafeBytes { buffer in try JSON.parse(buffer) }
        #expect(fromBuffer == expected)
    }

    @Test func apiGatewayEventSanity() throws {
        #expect(apiGatewayEvent.utf8.count > 2000)
        for _ in 0..<200 {
            let event = try JSON.parse(apiGatewayEvent, options: JSONParseOptions(maxDepth: 32, rejectDuplicateKeys: true))
            #expect(event["httpMethod"]?.stringValue == "POST")
            #expect(event["headers"]?["X-Client"]?.stringValue == "copilot-frontend")
            #expect(event["headers"]?["x-unicode"]?.stringValue == "café 😀 日本")
            #expect(event["headers"]?["x-empty"]?.stringValue == "")
            #expect(event["headers"]?.objectValue?.count == 15)
            #expect(event["requestContext"]?["requestTimeEpoch"] == .int(1_583_798_639_428))
            #expect(event["requestContext"]?["latencyMs"]?.doubleValue == 12.5)
            #expect(event["requestContext"]?["weights"] == [1, -2, 3.25, 1000, 0, 0])
            #expect(event["pathParameters"]?.isNull == true)
            #expect(event["isBase64Encoded"]?.boolValue == false)
            let body = try JSON.parse(try #require(event["body"]?.stringValue), options: JSONParseOptions(rejectDuplicateKeys: true))
            #expect(body["params"]?["periodDays"]?.intValue == 30)
            #expect(body["params"]?["ownerUserId"]?.stringValue == "user_demo_owner")
            // Reserializing and reparsing gives the same value.
            #expect(try JSON.parse(event.serialized()) == event)
        }
    }

    // MARK: Numbers

    @Test func integersAreExact() throws {
        // Pattern matching, not `==`, which compares numbers by value across `.int` and `.double`.
        let exact: [(String, Int64)] = [
            ("9223372036854775807", .max), ("-9223372036854775808", .min), ("9007199254740993", 9_007_199_254_740_993),
            ("-9007199254740993", -9_007_199_254_740_993), ("1", 1), ("-1", -1),
        ]
        for (text, expected) in exact {
            let value = try JSON.parse(text)
            guard case .int(let int) = value else {
                Issue.record("\(text) should be .int, got \(value)")
                continue
            }
            #expect(int == expected)
        }
        if case .int(let value) = try JSON.parse("-0") {
            #expect(value == 0)
        } else {
            Issue.record("-0 should be an exact integer")
        }
        if case .int(let value) = try JSON.parse("123456789012345678") {
            #expect(value == 123_456_789_012_345_678)
        } else {
            Issue.record("an integer that fits Int64 should be .int")
        }
    }

    @Test func integersBeyondInt64BecomeDoubles() throws {
        let above = try JSON.parse("9223372036854775808")
        guard case .double(let aboveValue) = above else {
            Issue.record("expected .double, got \(above)")
            return
        }
        #expect(aboveValue == 9_223_372_036_854_775_808.0)
        let below = try JSON.parse("-9223372036854775809")
        guard case .double(let belowValue) = below else {
            Issue.record("expected .double, got \(below)")
            return
        }
        #expect(belowValue == -9_223_372_036_854_775_808.0)
        guard case .double(let huge) = try JSON.parse("123456789012345678901234567890") else {
            Issue.record("expected .double")
            return
        }
        #expect(huge == 1.2345678901234568e29)
    }

    @Test func fractionsAndExponentsAreDoubles() throws {
        let cases: [(String, Double)] = [
            ("1.5", 1.5), ("-0.25", -0.25), ("1e2", 100), ("1E2", 100), ("1e+2", 100), ("1e-2", 0.01),
            ("2.5E-3", 0.0025), ("0.1", 0.1), ("1.0", 1.0), ("-0.0", -0.0), ("1e-400", 0),
            ("0.1000000000000000055511151231257827021181583404541015625", 0.1),
            ("2.2250738585072014e-308", 2.2250738585072014e-308), ("1.7976931348623157e308", .greatestFiniteMagnitude),
        ]
        for (text, expected) in cases {
            let value = try JSON.parse(text)
            guard case .double(let double) = value else {
                Issue.record("\(text) should be .double, got \(value)")
                continue
            }
            #expect(double == expected, "\(text)")
            #expect(double.sign == expected.sign, "\(text)")
        }
    }

    @Test func doublesRoundTripBitExactly() throws {
        var values: [Double] = [
            0.1, 0.2, 0.30000000000000004, 1.0 / 3.0, 2.0 / 3.0, .pi, -.pi, 1e-7, 1e21, 1e22, 123456.789,
            .leastNonzeroMagnitude, 2.2250738585072014e-308, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            9007199254740993.0, 18014398509481984.0, 0.5, 1.5e300, -2.5e-300, 4.35, 100.125,
        ]
        var generator = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let bits = generator.next()
            let value = Double(bitPattern: bits)
            if value.isFinite {
                values.append(value)
            }
        }
        for value in values {
            let bytes = JSON.double(value).serialized()
            let parsed = try JSON.parse(bytes)
            #expect(parsed.doubleValue?.bitPattern == value.bitPattern || (value == 0 && parsed.doubleValue == 0),
                    "\(value) -> \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test func rejectsMalformedNumbers() {
        expectParseError("01", .invalidNumber, offset: 0)
        expectParseError("-01", .invalidNumber, offset: 0)
        expectParseError("00", .invalidNumber)
        expectParseError("[1, 012]", .invalidNumber, offset: 4)
        expectParseError("-", .unexpectedEnd)
        expectParseError("[-]", .invalidNumber)
        expectParseError("-a", .invalidNumber)
        expectParseError("1.", .unexpectedEnd)
        expectParseError("[1.]", .invalidNumber)
        expectParseError("1.e5", .invalidNumber)
        expectParseError("1e", .unexpectedEnd)
        expectParseError("[1e]", .invalidNumber)
        expectParseError("1e+", .unexpectedEnd)
        expectParseError("[1e-]", .invalidNumber)
        expectParseError(".5", .invalidSyntax)
        expectParseError("+1", .invalidSyntax)
        expectParseError("0x10", .trailingData)
        expectParseError("1.5.2", .trailingData)
    }

    @Test func rejectsNonFiniteNumbers() {
        expectParseError("NaN", .invalidSyntax, offset: 0)
        expectParseError("Infinity", .invalidSyntax, offset: 0)
        expectParseError("-Infinity", .invalidNumber, offset: 0)
        expectParseError("[nan]", .invalidSyntax)
        expectParseError("1e400", .numberOutOfRange, offset: 0)
        expectParseError("[-1e400]", .numberOutOfRange, offset: 1)
    }

    // MARK: Syntax

    @Test func rejectsTrailingCommas() {
        expectParseError("[1,]", .invalidSyntax, offset: 3)
        expectParseError("[1, ]", .invalidSyntax, offset: 4)
        expectParseError(#"{"a":1,}"#, .invalidSyntax, offset: 7)
        expectParseError("[,]", .invalidSyntax)
        expectParseError("[1,,2]", .invalidSyntax)
        expectParseError(#"{,}"#, .invalidSyntax)
    }

    @Test func rejectsStructuralErrors() {
        expectParseError(#"{"a" 1}"#, .invalidSyntax, offset: 5)
        expectParseError(#"{"a":1 "b":2}"#, .invalidSyntax, offset: 7)
        expectParseError("[1 2]", .invalidSyntax, offset: 3)
        expectParseError("{1:2}", .invalidSyntax, offset: 1)
        expectParseError("{'a':1}", .invalidSyntax)
        expectParseError("['a']", .invalidSyntax)
        expectParseError("[1]]", .trailingData, offset: 3)
        expectParseError("]", .invalidSyntax, offset: 0)
        expectParseError("tru", .unexpectedEnd)
        expectParseError("trux", .invalidSyntax, offset: 3)
        expectParseError("nul", .unexpectedEnd)
        expectParseError("True", .invalidSyntax)
        expectParseError("[1] // comment", .trailingData, offset: 4)
        expectParseError("/* c */ 1", .invalidSyntax)
        expectParseError("\u{FEFF}1", .invalidSyntax, offset: 0)
        expectParseError("\u{0B}1", .invalidSyntax, offset: 0)
    }

    @Test func rejectsTrailingGarbage() {
        expectParseError("1 2", .trailingData, offset: 2)
        expectParseError("{} x", .trailingData, offset: 3)
        expectParseError("nullx", .trailingData, offset: 4)
        expectParseError("\"a\"\"b\"", .trailingData, offset: 3)
        expectParseError([0x31, 0x20, 0x00], .trailingData, offset: 2)
    }

    @Test func rejectsTruncatedInput() {
        expectParseError("", .unexpectedEnd, offset: 0)
        expectParseError("   ", .unexpectedEnd, offset: 3)
        expectParseError("[", .unexpectedEnd, offset: 1)
        expectParseError("[1", .unexpectedEnd, offset: 2)
        expectParseError("[1,", .unexpectedEnd, offset: 3)
        expectParseError("{", .unexpectedEnd, offset: 1)
        expectParseError(#"{"a""#, .unexpectedEnd)
        expectParseError(#"{"a":"#, .unexpectedEnd)
        expectParseError(#"{"a":1"#, .unexpectedEnd)
        expectParseError(#""abc"#, .unexpectedEnd, offset: 4)
        expectParseError(#""a\"#, .unexpectedEnd)
        expectParseError(#""\u12"#, .unexpectedEnd)
    }

    // MARK: Strings

    @Test func decodesEscapes() throws {
        #expect(try JSON.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try JSON.parse(#""a\u0041b""#) == .string("aAb"))
        #expect(try JSON.parse(#""\u00e9\u00E9""#) == .string("éé"))
        #expect(try JSON.parse(#""\u20AC""#) == .string("€"))
        #expect(try JSON.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try JSON.parse(#""\uFFFF""#) == .string("\u{FFFF}"))
        #expect(try JSON.parse(#""x\ny" "#) == .string("x\ny"))
        #expect(try JSON.parse(#""\\\\""#) == .string(#"\\"#))
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSON.parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try JSON.parse(#""\ud83d\ude00!""#) == .string("😀!"))
        #expect(try JSON.parse(#""\uD800\uDC00""#) == .string("\u{10000}"))
        #expect(try JSON.parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
        #expect(try JSON.parse(#""é\uD83D\uDE00日本""#) == .string("é😀日本"))
    }

    @Test func rejectsLoneSurrogates() {
        expectParseError(#""\uD800""#, .loneSurrogate, offset: 1)
        expectParseError(#""\uD800x""#, .loneSurrogate, offset: 1)
        expectParseError(#""\uD800\n""#, .loneSurrogate, offset: 1)
        expectParseError(#""\uD800\u0041""#, .loneSurrogate, offset: 1)
        expectParseError(#""\uD800\uD800""#, .loneSurrogate, offset: 1)
        expectParseError(#""\uDC00""#, .loneSurrogate, offset: 1)
        expectParseError(#""ab\uDFFF\uD800""#, .loneSurrogate, offset: 3)
    }

    @Test func rejectsInvalidEscapes() {
        expectParseError(#""\x""#, .invalidEscape, offset: 1)
        expectParseError(#""\a""#, .invalidEscape)
        expectParseError(#""\U0041""#, .invalidEscape)
        expectParseError(#""\'""#, .invalidEscape)
        expectParseError(#""\u12G4""#, .invalidEscape, offset: 1)
        expectParseError(#""\u-123""#, .invalidEscape)
        expectParseError(#""\uD83D\uDE0G""#, .invalidEscape, offset: 7)
        expectParseError(#""\ "#, .invalidEscape)
    }

    @Test func rejectsControlCharactersInStrings() {
        for byte: UInt8 in 0x00..<0x20 {
            expectParseError([0x22, 0x61, byte, 0x22], .controlCharacter, offset: 2)
            // Also after an escape (slow path).
            expectParseError([0x22, 0x5C, 0x6E, byte, 0x22], .controlCharacter, offset: 3)
        }
        // DEL is allowed.
        #expect((try? JSON.parse([0x22, 0x7F, 0x22])) == .string("\u{7F}"))
    }

    @Test func everyByteAtEveryPositionOfAString() throws {
        // Strings are scanned 8 bytes at a time: put each byte value at each position around two 8-byte windows.
        for position in 0..<20 {
            for byte in UInt8.min...UInt8.max {
                var input: [UInt8] = [0x22] + Array(repeating: UInt8(ascii: "a"), count: 20) + [0x22]
                input[1 + position] = byte
                switch byte {
                case UInt8(ascii: "\""):
                    expectParseError(input, .trailingData, offset: 2 + position)
                case UInt8(ascii: "\\") where position == 19:
                    // Escapes the closing quote.
                    expectParseError(input, .unexpectedEnd, offset: input.count)
                case UInt8(ascii: "\\"):
                    expectParseError(input, .invalidEscape, offset: 1 + position)
                case 0x00..<0x20:
                    expectParseError(input, .controlCharacter, offset: 1 + position)
                case 0x80...0xFF:
                    expectParseError(input, .invalidUTF8, offset: 1 + position)
                default:
                    let expected = String(repeating: "a", count: position) + String(UnicodeScalar(byte))
                        + String(repeating: "a", count: 19 - position)
                    #expect(try JSON.parse(input) == .string(expected))
                }
            }
        }
    }

    @Test func stringsOfEveryLength() throws {
        for length in 0..<40 {
            let plain = String(repeating: "x", count: length)
            #expect(try JSON.parse("\"\(plain)\"") == .string(plain))
            #expect(try JSON.parse("[\"\(plain)\",\"\(plain)\"]") == [.string(plain), .string(plain)])
            #expect(try JSON.parse("\"\(plain)\\n\(plain)\"") == .string(plain + "\n" + plain))
            #expect(try JSON.parse("\"\(plain)é😀\(plain)\"") == .string(plain + "é😀" + plain))
            expectParseError("\"\(plain)", .unexpectedEnd, offset: 1 + length)
            expectParseError(Array("\"\(plain)".utf8) + [0xE2, 0x82], .invalidUTF8, offset: 1 + length)
        }
    }

    @Test func keepsRawUTF8() throws {
        let text = "\"aé€😀日本\u{10FFFF}\""
        #expect(try JSON.parse(text) == .string("aé€😀日本\u{10FFFF}"))
        #expect(try JSON.parse(#"{"ключ":"значение"}"#)["ключ"] == .string("значение"))
    }

    @Test func rejectsInvalidUTF8() {
        let sequences: [[UInt8]] = [
            [0x80],  // stray continuation
            [0xBF],
            [0xC0, 0x80],  // overlong NUL
            [0xC1, 0xBF],  // overlong
            [0xC3],  // truncated
            [0xC3, 0x28],  // bad continuation
            [0xE0, 0x80, 0x80],  // overlong 3-byte
            [0xE0, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80],  // UTF-16 surrogate D800
            [0xED, 0xBF, 0xBF],  // surrogate DFFF
            [0xE2, 0x82],  // truncated €
            [0xF0, 0x80, 0x80, 0x80],  // overlong 4-byte
            [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF5, 0x80, 0x80, 0x80],
            [0xF0, 0x9F, 0x98],  // truncated 😀
            [0xFE], [0xFF],
        ]
        for sequence in sequences {
            // Inside a string, on the fast path and after an escape.
            expectParseError([0x22, 0x61] + sequence + [0x22], .invalidUTF8, offset: 2)
            expectParseError([0x22, 0x5C, 0x74] + sequence + [0x22], .invalidUTF8, offset: 3)
            // In a key.
            expectParseError([0x7B, 0x22] + sequence + [0x22, 0x3A, 0x31, 0x7D], .invalidUTF8, offset: 2)
            // Outside strings.
            expectParseError(sequence, .invalidUTF8, offset: 0)
            expectParseError([0x5B, 0x31, 0x2C] + sequence + [0x5D], .invalidUTF8, offset: 3)
            expectParseError([0x31, 0x20] + sequence, .invalidUTF8, offset: 2)
        }
        // Valid non-ASCII outside a string is a syntax error, not a UTF-8 error.
        expectParseError("é", .invalidSyntax, offset: 0)
    }

    // MARK: Limits

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSON.parse(ok) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        expectParseError(tooDeep, .tooDeep, offset: 64)
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        expectParseError(objects, .tooDeep, offset: 5 * 64)

        let shallow = JSONParseOptions(maxDepth: 2)
        #expect(try JSON.parse("[[1]]", options: shallow) == [[1]])
        expectParseError("[[[1]]]", .tooDeep, offset: 2, options: shallow)
        expectParseError(#"{"a":{"b":{}}}"#, .tooDeep, offset: 10, options: shallow)
        let scalarsOnly = JSONParseOptions(maxDepth: 0)
        #expect(try JSON.parse("7", options: scalarsOnly) == 7)
        expectParseError("[]", .tooDeep, offset: 0, options: scalarsOnly)
    }

    @Test func veryDeepInputDoesNotOverflowTheStack() throws {
        let depth = 200_000
        let unlimited = JSONParseOptions(maxDepth: .max)
        expectParseError(String(repeating: "[", count: depth), .unexpectedEnd, offset: depth, options: unlimited)
        // A value this deep is built fine; keep it moderate because values are destroyed recursively.
        let nested = 2_000
        let balanced = String(repeating: "[", count: nested) + String(repeating: "]", count: nested)
        let value = try JSON.parse(balanced, options: unlimited)
        var level = 0
        var current = value
        while case .array(let elements) = current, let first = elements.first {
            current = first
            level += 1
        }
        #expect(level == nested - 1)
        expectParseError(String(repeating: "[", count: depth), .tooDeep, offset: 64)
    }

    @Test func sizeLimit() throws {
        let options = JSONParseOptions(maxBytes: 8)
        #expect(try JSON.parse("[1,2,3]", options: options) == [1, 2, 3])
        #expect(try JSON.parse("[1, 2,3]", options: options) == [1, 2, 3])
        expectParseError("[1, 2, 3]", .tooLarge, offset: 8, options: options)
        expectParseError("", .unexpectedEnd, options: JSONParseOptions(maxBytes: 0))
        expectParseError(" ", .tooLarge, options: JSONParseOptions(maxBytes: 0))
    }

    // MARK: Duplicate keys

    @Test func duplicateKeysLastWinsByDefault() throws {
        let value = try JSON.parse(#"{"a":1,"b":2,"a":3}"#)
        let object = try #require(value.objectValue)
        #expect(object.hasDuplicateKeys)
        #expect(value["a"] == 3)
        #expect(object.count == 3)
        #expect(object.keys == ["a", "b", "a"])
        let unique = try #require(try JSON.parse(#"{"a":1,"b":{"a":2}}"#).objectValue)
        #expect(!unique.hasDuplicateKeys)
        #expect(unique["b"]?.objectValue?.hasDuplicateKeys == false)
    }

    @Test func parsedDuplicatesCompareByEffectiveMembers() throws {
        let parsed = try JSON.parse(#"{"a":1,"b":2,"a":3}"#)
        let effective: JSON = ["b": 2, "a": 3]
        #expect(parsed == effective)
        #expect(parsed.hashValue == effective.hashValue)
        #expect(parsed != ["a": 1, "b": 2])
        // A parsed object without duplicates reports none.
        #expect(try JSON.parse(#"{"a":1,"b":2}"#).objectValue?.hasDuplicateKeys == false)
    }

    @Test func duplicateKeysCanBeRejected() throws {
        let strict = JSONParseOptions(rejectDuplicateKeys: true)
        expectParseError(#"{"a":1,"b":2,"a":3}"#, .duplicateKey, offset: 13, options: strict)
        expectParseError(#"[{"x":{"k":1,"k":1}}]"#, .duplicateKey, offset: 13, options: strict)
        // Escaped and raw spellings of the same key are the same key.
        expectParseError(#"{"a":1,"\u0061":2}"#, .duplicateKey, offset: 7, options: strict)
        // Keys compare as Swift strings: canonically equivalent spellings (precomposed é, e + U+0301) are duplicates.
        expectParseError(#"{"\u00e9":1,"e\u0301":2}"#, .duplicateKey, offset: 12, options: strict)
        #expect(try JSON.parse(#"{"\u00e9":1,"e\u0301":2}"#)["\u{E9}"] == 2)
        // The same key in different objects is fine.
        #expect(throws: Never.self) { try JSON.parse(#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#, options: strict) }
    }

    @Test func duplicateKeysInLargeObjects() throws {
        var text = "{"
        for index in 0..<40 {
            text += "\"k\(index)\":\(index),"
        }
        text += "\"k7\":\"last\"}"
        let value = try JSON.parse(text)
        let object = try #require(value.objectValue)
        #expect(object.hasDuplicateKeys)
        #expect(object["k7"] == "last")
        #expect(object["k39"] == 39)
        #expect(object["k40"] == nil)
        expectParseError(text, .duplicateKey, offset: text.utf8.count - 12, options: JSONParseOptions(rejectDuplicateKeys: true))
    }
}
