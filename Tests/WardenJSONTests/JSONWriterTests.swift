import TestSupport
import Testing
import WardenJSON

@Suite("JSON writer and serialization")
struct JSONWriterTests {
    @Test func writerBuildsCompactDocuments() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("statusCode")
        writer.int(200)
        writer.key("headers")
        writer.beginObject()
        writer.key("a")
        writer.string("1")
        writer.key("b")
        writer.string("2")
        writer.endObject()
        writer.key("list")
        writer.beginArray()
        writer.int(Int64(-1))
        writer.double(2.5)
        writer.bool(true)
        writer.bool(false)
        writer.null()
        writer.beginArray()
        writer.endArray()
        writer.beginObject()
        writer.endObject()
        writer.endArray()
        writer.key("raw")
        writer.raw(Array(#"{"pre":[1,2]}"#.utf8))
        writer.key("big")
        writer.uint(.max)
        writer.endObject()
        let expected = #"{"statusCode":200,"headers":{"a":"1","b":"2"},"list":[-1,2.5,true,false,null,[],{}],"#
            + #""raw":{"pre":[1,2]},"big":18446744073709551615}"#
        #expect(writer.text == expected)
        #expect(writer.bytes == Array(expected.utf8))
    }

    @Test func aKeptBeginningUpToAValueIsContinued() {
        let beginning = Array(#"{"a":[1],"b":"#.utf8)
        for value in ["x", "q\"uote"] {
            var writer = JSONWriter(capacity: 8)
            writer.rawUpToValue(beginning)
            writer.string(value)
            writer.key("c")
            writer.bool(false)
            writer.endObject()
            #expect(writer.text == #"{"a":[1],"b":"# + (value == "x" ? #""x""# : #""q\"uote""#) + #","c":false}"#)
        }
        var array = JSONWriter()
        array.beginArray()
        array.int(1)
        array.rawUpToValue(Array(#"{"k":"#.utf8))
        array.null()
        array.endObject()
        array.endArray()
        #expect(array.text == #"[1,{"k":null}]"#)
    }

    @Test func resetKeepsWorking() {
        var writer = JSONWriter(capacity: 4)
        writer.beginArray()
        writer.int(1)
        writer.endArray()
        writer.reset()
        #expect(writer.bytes.isEmpty)
        writer.beginArray()
        writer.int(2)
        writer.int(3)
        writer.endArray()
        #expect(writer.text == "[2,3]")
    }

    @Test func topLevelScalars() {
        var writer = JSONWriter()
        writer.string("x")
        #expect(writer.text == #""x""#)
        #expect(JSON.null.text == "null")
        #expect(JSON.bool(true).text == "true")
        #expect(JSON.string("").text == #""""#)
        #expect(JSON.array([]).text == "[]")
        #expect(JSON.object([:]).text == "{}")
    }

    @Test func integers() {
        #expect(JSON.int(0).text == "0")
        #expect(JSON.int(7).text == "7")
        #expect(JSON.int(-7).text == "-7")
        #expect(JSON.int(1_000_000).text == "1000000")
        #expect(JSON.int(.max).text == "9223372036854775807")
        #expect(JSON.int(.min).text == "-9223372036854775808")
        var writer = JSONWriter()
        writer.beginArray()
        writer.uint(0)
        writer.uint(UInt64(Int64.max) + 1)
        writer.int(Int.min)
        writer.endArray()
        #expect(writer.text == "[0,9223372036854775808,-9223372036854775808]")
    }

    @Test func doubles() {
        #expect(JSON.double(50.0).text == "50")
        #expect(JSON.double(-3.0).text == "-3")
        #expect(JSON.double(-0.0).text == "0")
        #expect(JSON.double(0.1).text == "0.1")
        #expect(JSON.double(-2.5).text == "-2.5")
        #expect(JSON.double(1.0 / 3.0).text == "0.3333333333333333")
        #expect(JSON.double(1e300).text == "1e+300")
        #expect(JSON.double(1.5e-7).text == "1.5e-07")
        #expect(JSON.double(9_007_199_254_740_991.0).text == "9007199254740991")
        #expect(JSON.double(-9_007_199_254_740_991.0).text == "-9007199254740991")
        #expect(JSON.double(1e20).text == "1e+20")
        #expect(JSON.double(.nan).text == "null")
        #expect(JSON.double(.infinity).text == "null")
        #expect(JSON.double(-.infinity).text == "null")
        #expect(JSON.array([.double(.nan), 1]).text == "[null,1]")
    }

    @Test func serializedDoublesAreValidJSONNumbers() throws {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            let text = JSON.double(value).text
            // Parsing the text back proves it is a JSON number and that it round-trips.
            let parsed = try JSON.parse(text)
            #expect(parsed.doubleValue == value, "\(text)")
        }
    }

    @Test func stringEscaping() {
        #expect(JSON.string(#"a"b"#).text == #""a\"b""#)
        #expect(JSON.string(#"a\b"#).text == #""a\\b""#)
        #expect(JSON.string("a/b").text == #""a/b""#)
        #expect(JSON.string("\u{08}\u{0C}\n\r\t").text == #""\b\f\n\r\t""#)
        #expect(JSON.string("\u{0}\u{1}\u{1F}").text == #""\u0000\u0001\u001f""#)
        #expect(JSON.string("\u{7F}").text == "\"\u{7F}\"")
        #expect(JSON.string("é€😀日本").serialized() == Array("\"é€😀日本\"".utf8))
        #expect(JSON.string("\u{2028}\u{2029}").text == "\"\u{2028}\u{2029}\"")
        #expect(JSON.string("plain text").text == #""plain text""#)
        // Keys are escaped the same way.
        let object: JSON = ["k\"\n": 1]
        #expect(object.text == #"{"k\"\n":1}"#)
    }

    @Test func everyControlCharacterIsEscapedAndRoundTrips() throws {
        for scalar in UInt8(0)..<0x20 {
            let string = "x" + String(UnicodeScalar(scalar)) + "y"
            let bytes = JSON.string(string).serialized()
            #expect(!bytes.contains { $0 < 0x20 })
            #expect(try JSON.parse(bytes) == .string(string))
        }
    }

    @Test func objectKeysInStoredOrder() {
        let pairs: [(String, JSON)] = [("b", 1), ("a", [true, nil]), ("c", ["d": "e"])]
        let object = JSONObject(pairs)
        #expect(JSON.object(object).text == #"{"b":1,"a":[true,null],"c":{"d":"e"}}"#)
        var writer = JSONWriter()
        writer.beginArray()
        writer.object(object)
        writer.value(["x": 1])
        writer.endArray()
        #expect(writer.text == #"[{"b":1,"a":[true,null],"c":{"d":"e"}},{"x":1}]"#)
    }

    @Test func serializeParseRoundTrip() throws {
        let value: JSON = [
            "string": "héllo \"world\"\n\u{1}😀",
            "ints": [0, -1, .int(.max), .int(.min)],
            "doubles": [0.5, -1e-300, 1.7976931348623157e308],
            "nested": ["a": ["b": ["c": [[], [:], nil, true, false]]]],
            "empty": "",
        ]
        let bytes = value.serialized()
        let parsed = try JSON.parse(bytes)
        #expect(parsed == value)
        #expect(parsed.objectValue?.keys == value.objectValue?.keys)
        #expect(parsed.serialized() == bytes)
    }
}
