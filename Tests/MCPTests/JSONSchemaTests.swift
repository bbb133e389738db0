import Testing
import WardenJSON

@testable import MCP

@Suite struct SchemaPatternTests {
    @Test func thePatternsOfOurSchemas() throws {
        let date = try #require(SchemaPattern(#"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?$"#))
        #expect(date.matches("2026-01-02T03:04:05"))
        #expect(date.matches("2026-01-02T03:04:05.123456"))
        #expect(!date.matches("2026-01-02T03:04:05.123"))
        #expect(!date.matches("2026-01-02 03:04:05"))
        #expect(!date.matches("x2026-01-02T03:04:05"))
        let printable = try #require(SchemaPattern(#"^[^\x00-\x1F\x7F]*$"#))
        #expect(printable.matches("acme"))
        #expect(printable.matches(""))
        #expect(printable.matches("ünïcødé <b>"))
        #expect(!printable.matches("a\u{0}b"))
        #expect(!printable.matches("line\nbreak"))
        #expect(!printable.matches("del\u{7F}"))
    }

    @Test func unanchoredPatternsMatchAnywhereAndQuantifiersBacktrack() throws {
        #expect(try #require(SchemaPattern("b+c")).matches("aabbbcd"))
        #expect(try #require(SchemaPattern("^a{2,3}b$")).matches("aaab"))
        #expect(try !#require(SchemaPattern("^a{2,3}b$")).matches("aaaab"))
        #expect(try #require(SchemaPattern("^(ab)*a$")).matches("ababa"))
        #expect(try #require(SchemaPattern("^a*ab$")).matches("aaab"))
    }

    @Test(arguments: ["\\d+", "a|b", "[a", "(a", "a{2", "a{3,1}", "*a", "\\w", "[]", "a)"])
    func syntaxOutsideTheSubsetIsRefused(_ source: String) {
        #expect(SchemaPattern(source) == nil)
    }

    @Test func backtrackingIsBounded() throws {
        let pattern = try #require(SchemaPattern("^(a*)*b$"))
        #expect(!pattern.matches(String(repeating: "a", count: 40)))
    }
}

@Suite struct JSONSchemaTests {
    static let usage = #"""
        {"type": "object", "required": ["trend", "avgDailyUsers", "sparkline", "missingData"], "additionalProperties": false,
         "properties": {"trend": {"enum": ["up", "down", "flat"]}, "avgDailyUsers": {"type": "integer"},
                        "sparkline": {"type": "array", "items": {"type": "number"}}, "missingData": {"type": "boolean"}}}
        """#

    func violation(_ schema: String, _ value: String) throws -> JSONSchema.Violation? {
        try JSONSchema(text: schema).violation(in: JSON.parse(value))
    }

    @Test func validValuesPass() throws {
        #expect(try violation(Self.usage, #"{"trend":"up","avgDailyUsers":3,"sparkline":[1,2.5],"missingData":false}"#) == nil)
        #expect(try violation(#"{"type":["string","null"]}"#, "null") == nil)
        #expect(try violation(#"{"type":"integer","minimum":0,"maximum":100}"#, "100") == nil)
        #expect(try violation(#"{"type":"integer"}"#, "3.0") == nil)
    }

    @Test func eachRuleNamesWhereAndWhyWithoutTheValue() throws {
        let cases: [(String, String, String, String)] = [
            (Self.usage, #"{"trend":"sideways","avgDailyUsers":3,"sparkline":[],"missingData":false}"#, "/trend", "must be one of the allowed values"),
            (Self.usage, #"{"trend":"up","avgDailyUsers":"3","sparkline":[],"missingData":false}"#, "/avgDailyUsers", "must be of type integer"),
            (Self.usage, #"{"trend":"up","avgDailyUsers":3,"sparkline":["x"],"missingData":false}"#, "/sparkline/0", "must be of type number"),
            (Self.usage, #"{"trend":"up","avgDailyUsers":3,"sparkline":[]}"#, "", "is missing the required member missingData"),
            (#"{"type":"string","minLength":1}"#, #""""#, "", "must be at least 1 characters long"),
            (#"{"type":"string","maxLength":2}"#, #""äöü""#, "", "must be at most 2 characters long"),
            (#"{"type":"array","minItems":2}"#, "[1]", "", "must have at least 2 items"),
            (#"{"type":"array","maxItems":1}"#, "[1,2]", "", "must have at most 1 items"),
            (#"{"type":"integer","maximum":100}"#, "101", "", "must be at most 100"),
            (#"{"type":"integer"}"#, "1.5", "", "must be of type integer"),
            (#"{"type":"string","pattern":"^a$"}"#, #""b""#, "", "must match the pattern ^a$"),
        ]
        for (schema, value, location, reason) in cases {
            let found = try #require(try violation(schema, value), "\(value)")
            #expect(found.location == location, "\(value)")
            #expect(found.reason == reason, "\(value)")
        }
    }

    @Test func anUnknownMemberIsRefusedWithoutEchoingItsName() throws {
        let found = try #require(try violation(Self.usage, #"{"trend":"up","avgDailyUsers":1,"sparkline":[],"missingData":true,"<script>":1}"#))
        #expect(found.location == "")
        #expect(!found.description.contains("script"))
    }

    @Test(arguments: [
        #"{"type":"object","oneOf":[]}"#, ##"{"$ref":"#/x"}"##, #"{"additionalProperties":{"type":"string"}}"#, #"{"type":"text"}"#,
        #"{"pattern":"\\d"}"#, #"{"minLength":-1}"#, #"{"properties":{"a":{"allOf":[]}}}"#, "[]", "{",
    ])
    func schemasOutsideTheSubsetAreRefused(_ text: String) {
        #expect(throws: JSONSchema.DefinitionError.self) { try JSONSchema(text: text) }
    }
}
