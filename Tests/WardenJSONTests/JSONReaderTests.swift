import TestSupport
import Testing
import WardenJSON

/// `JSONReader` checks a text exactly as `JSON.parse` does and reads what it is asked for.
@Suite("JSON reader") struct JSONReaderTests {
    /// What `JSON.parse` gives for `bytes` (the error, or nil).
    static func parseError(_ bytes: [UInt8], maxDepth: Int) -> JSONError? {
        do {
            _ = try JSON.parse(bytes, options: JSONParseOptions(maxDepth: maxDepth))
            return nil
        } catch {
            return error
        }
    }

    /// What the reader gives when it reads nothing (everything skipped).
    static func skipError(_ bytes: [UInt8], maxDepth: Int) -> JSONError? {
        do {
            try JSONReader.read(bytes, maxDepth: maxDepth) { (_: inout JSONReader) throws(JSONError) in }
            return nil
        } catch {
            return error
        }
    }

    /// Every key in document order, before and after its value is read (nested members read in between), as the
    /// reader gives them.
    static func readAll(_ bytes: [UInt8], maxDepth: Int) throws(JSONError) -> [String] {
        var seen: [String] = []
        try JSONReader.read(bytes, maxDepth: maxDepth) { (reader: inout JSONReader) throws(JSONError) in
            try walkValue(&reader, into: &seen)
        }
        return seen
    }

    static func walkValue(_ reader: inout JSONReader, into seen: inout [String]) throws(JSONError) {
        _ = try reader.readObject { (member: inout JSONReader) throws(JSONError) in
            seen.append("k:" + member.key)
            try walkValue(&member, into: &seen)
            seen.append("k:" + member.key)
        }
    }

    /// The same from the tree.
    static func treeKeys(_ value: JSON, into seen: inout [String]) {
        guard case .object(let object) = value else { return }
        for (key, member) in object {
            seen.append("k:" + key)
            treeKeys(member, into: &seen)
            seen.append("k:" + key)
        }
    }

    static let documents: [String] = [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e","d":"f"},"g":-0.5e-3}"#,
        #"[1,2,3]"#, #""text""#, #"12"#, #"true"#, #"null"#, #"{}"#, #"[]"#, #" { "a" : [ { } , [ ] ] } "#,
        #"{"\u0041":"\ud83d\ude00","\\":"\/","k\"":"\b\f\n\r\t"}"#,
        #"{"a":{"b":{"c":{"d":{}}}},"e":"f"}"#,
        #"{"a":1,}"#, #"[1,]"#, #"{"a" 1}"#, #"{"a":}"#, #"{,}"#, #"[01]"#, #"[1e400]"#, #"[-]"#, #"[1.]"#, #"["\x"]"#,
        #"["\ud800"]"#, #"["\udc00"]"#, #"["\u12"]"#, #"[tru]"#, #"[nulll]"#, #"{"a":1} x"#, #"{"a":1}}"#, #"[1]]"#,
        #"{"a":[1}"#, #"{"a":{]}"#, "", " ", "[", "{", #"{"a""#, #"{"a":"#, #"["abc"#, "[\u{1}]", "[\"\u{1}\"]",
    ]

    static let bytes: [[UInt8]] = [[0xEF, 0xBB, 0xBF, 0x7B, 0x7D], [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x5B, 0xED, 0xA0, 0x80, 0x5D], [0x7B, 0x80]]

    @Test func skippingChecksExactlyAsParseDoes() {
        var random = SplitMix64(seed: 7)
        var inputs = Self.documents.map { Array($0.utf8) } + Self.bytes
        for depth in [0, 1, 2, 3, 63, 64, 65, 100] {
            inputs.append(Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8))
            inputs.append(Array((String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)).utf8))
        }
        // And mutations of them: flipped and inserted bytes, truncations.
        let seeds = inputs
        for _ in 0..<3000 {
            var input = seeds[Int(random.next() % UInt64(seeds.count))]
            let at = Int(random.next() % UInt64(input.count + 1))
            switch random.next() % 3 {
            case 0: if at < input.count { input[at] = UInt8(truncatingIfNeeded: random.next()) }
            case 1:
                let inserts = Array(#"{}[],:"\ 0-1e.tfn"#.utf8)
                input.insert(inserts[Int(random.next() % UInt64(inserts.count))], at: at)
            default: input.removeSubrange(at...)
            }
            inputs.append(input)
        }
        for input in inputs {
            for maxDepth in [2, 64] {
                #expect(Self.skipError(input, maxDepth: maxDepth) == Self.parseError(input, maxDepth: maxDepth), "\(input)")
            }
        }
    }

    @Test func readsMembersInOrderWithTheirKeys() throws {
        for document in Self.documents where Self.parseError(Array(document.utf8), maxDepth: 64) == nil {
            let tree = try JSON.parse(document)
            var expected: [String] = []
            Self.treeKeys(tree, into: &expected)
            #expect(try Self.readAll(Array(document.utf8), maxDepth: 64) == expected, "\(document)")
        }
    }

    @Test func readsTypedValuesAndSkipsTheRest() throws {
        let text = #"{"s":"x\u00e9","n":5,"b":true,"z":null,"a":["1",2,{"k":"v"},"3"],"o":{"s":"in"},"e":"\"q\""}"#
        var strings: [String: String?] = [:]
        var bools: [String: Bool?] = [:]
        var items: [String] = []
        var bytes: [UInt8]?
        try JSONReader.read(Array(text.utf8)) { (reader: inout JSONReader) throws(JSONError) in
            _ = try reader.readObject { (member: inout JSONReader) throws(JSONError) in
                switch member.keyIndex(in: ["s", "n", "b", "z", "a", "o", "e"]) {
                case 0, 1, 3: strings[member.key] = try member.readString()
                case 2: bools[member.key] = try member.readBool()
                case 4:
                    _ = try member.readArray { (item: inout JSONReader) throws(JSONError) in
                        if let value = try item.readString() { items.append(value) }
                    }
                case 6: bytes = try member.readStringBytes()
                default: break  // "o" is skipped
                }
                #expect(try member.readString() == nil, "a value is read once")
            }
        }
        #expect(strings.count == 3 && strings["s"] == .some("x\u{E9}") && strings["n"] == .some(nil) && strings["z"] == .some(nil))
        #expect(bools == ["b": true])
        #expect(items == ["1", "3"])
        #expect(bytes == Array("\"q\"".utf8))
    }

    @Test func notAnObjectOrArrayIsSkipped() throws {
        let isObject = try JSONReader.read(Array("[1,[2],{}]".utf8)) { (reader: inout JSONReader) throws(JSONError) in
            try reader.readObject { (_: inout JSONReader) throws(JSONError) in }
        }
        #expect(!isObject)
        let isArray = try JSONReader.read(Array(#"{"a":[1]}"#.utf8)) { (reader: inout JSONReader) throws(JSONError) in
            try reader.readArray { (_: inout JSONReader) throws(JSONError) in }
        }
        #expect(!isArray)
        // A refusal after the part that was read still throws.
        #expect(throws: JSONError.self) {
            try JSONReader.read(Array(#"{"a":"b","c":[1,}"#.utf8)) { (reader: inout JSONReader) throws(JSONError) in
                try reader.readObject { (member: inout JSONReader) throws(JSONError) in _ = try member.readString() }
            }
        }
    }

    @Test func keysCompareAsSwiftStrings() throws {
        // U+212A KELVIN SIGN is canonically equivalent to K; an escaped key compares decoded.
        let text = #"{"\u212Aey":1,"Ke\u0079":2,"key":3,"\u00e9":4,"e\u0301":5}"#
        var matches: [Bool] = []
        var canonical: [Bool] = []
        try JSONReader.read(Array(text.utf8)) { (reader: inout JSONReader) throws(JSONError) in
            _ = try reader.readObject { (member: inout JSONReader) throws(JSONError) in
                matches.append(member.keyEquals("Key"))
                canonical.append(member.keyIndex(in: ["x", "\u{E9}"]) == 1)
            }
        }
        #expect(matches == [true, true, false, false, false])
        #expect(canonical == [false, false, false, true, true])
        #expect(("\u{212A}ey" == "Key") && ("e\u{301}" == "\u{E9}"))
    }

    @Test func keyIndexGivesTheFirstEqualNameWhateverItsScript() throws {
        // An ASCII key is equal to a non-ASCII name canonically equivalent to it: the first equal name wins.
        let text = #"{"Key":1,"\u212Aey":2,"a-much-longer-key-than-any-name":3,"":4}"#
        var found: [[Int?]] = []
        try JSONReader.read(Array(text.utf8)) { (reader: inout JSONReader) throws(JSONError) in
            _ = try reader.readObject { (member: inout JSONReader) throws(JSONError) in
                found.append([
                    member.keyIndex(in: ["x", "\u{212A}ey", "Key"]), member.keyIndex(in: ["Key", "\u{212A}ey"]),
                    member.keyIndex(in: ["Kex", "Key", "Key"]), member.keyIndex(in: ["", "Key"]),
                ])
            }
        }
        #expect(found == [[1, 0, 1, 1], [1, 0, 1, 1], [nil, nil, nil, nil], [nil, nil, nil, 0]])
    }
}
