import Testing
import WardenJSON

@Suite("JSON value")
struct JSONTests {
    let sample: JSON = [
        "name": "warden",
        "count": 3,
        "ratio": 0.5,
        "whole": 4.0,
        "on": true,
        "none": nil,
        "list": [1, "two", [3]],
        "nested": ["k": "v"],
    ]

    @Test func literalsBuildTheExpectedCases() {
        let null: JSON = nil
        let bool: JSON = false
        let int: JSON = -7
        let double: JSON = 2.5
        let string: JSON = "s"
        let array: JSON = [1, "a"]
        let object: JSON = ["a": 1, "b": [true]]
        #expect(null.isNull)
        if case .bool(false) = bool {} else { Issue.record("bool literal") }
        if case .int(-7) = int {} else { Issue.record("integer literal") }
        if case .double(2.5) = double {} else { Issue.record("float literal") }
        if case .string("s") = string {} else { Issue.record("string literal") }
        if case .array(let elements) = array {
            #expect(elements.count == 2)
        } else {
            Issue.record("array literal")
        }
        #expect(object.objectValue?.keys == ["a", "b"])
    }

    @Test func dictionaryLiteralKeepsOrderAndReplacesRepeatedKeys() {
        let object: JSON = ["z": 1, "a": 2, "m": 3, "a": 4]
        #expect(object.objectValue?.keys == ["z", "a", "m"])
        #expect(object["a"] == 4)
        #expect(object.objectValue?.hasDuplicateKeys == false)
        #expect(object.text == #"{"z":1,"a":4,"m":3}"#)
    }

    @Test func subscripts() {
        #expect(sample["name"] == "warden")
        #expect(sample["missing"] == nil)
        #expect(sample["list"]?[1] == "two")
        #expect(sample["list"]?[2]?[0] == 3)
        #expect(sample["list"]?[3] == nil)
        #expect(sample["list"]?[-1] == nil)
        #expect(sample["nested"]?["k"] == "v")
        // Wrong container kinds give nil.
        #expect(sample["name"]?["x"] == nil)
        #expect(sample["nested"]?[0] == nil)
        #expect(sample[0] == nil)
        #expect(JSON.null["a"] == nil)
    }

    @Test func typedAccessors() {
        #expect(sample["name"]?.stringValue == "warden")
        #expect(sample["count"]?.stringValue == nil)
        #expect(sample["count"]?.intValue == 3)
        #expect(sample["count"]?.int64Value == 3)
        #expect(sample["count"]?.doubleValue == 3.0)
        #expect(sample["ratio"]?.doubleValue == 0.5)
        #expect(sample["ratio"]?.intValue == nil)
        #expect(sample["whole"]?.intValue == 4)
        #expect(sample["name"]?.intValue == nil)
        #expect(sample["name"]?.doubleValue == nil)
        #expect(sample["on"]?.boolValue == true)
        #expect(sample["count"]?.boolValue == nil)
        #expect(sample["list"]?.arrayValue?.count == 3)
        #expect(sample["nested"]?.arrayValue == nil)
        #expect(sample["nested"]?.objectValue?["k"] == "v")
        #expect(sample["list"]?.objectValue == nil)
        #expect(sample["none"]?.isNull == true)
        #expect(sample["on"]?.isNull == false)
        #expect(sample["count"]?.isNumber == true)
        #expect(sample["ratio"]?.isNumber == true)
        #expect(sample["name"]?.isNumber == false)
    }

    @Test func integerAccessorsAreExact() {
        #expect(JSON.double(1e300).intValue == nil)
        #expect(JSON.double(-0.0).intValue == 0)
        #expect(JSON.double(9_223_372_036_854_775_808.0).int64Value == nil)
        #expect(JSON.double(-9_223_372_036_854_775_808.0).int64Value == .min)
        #expect(JSON.double(.nan).intValue == nil)
        #expect(JSON.int(.max).int64Value == .max)
        #expect(JSON.int(.min).intValue == .min)
    }

    @Test func requireAccessorsThrowSpecificCodes() throws {
        #expect(try sample.require("name") == "warden")
        #expect(try sample.require("name").requireString() == "warden")
        #expect(try sample.require("count").requireInt() == 3)
        #expect(try sample.require("ratio").requireDouble() == 0.5)
        #expect(try sample.require("on").requireBool() == true)
        #expect(try sample.require("list").requireArray().count == 3)
        #expect(try sample.require("nested").requireObject().count == 1)

        func code(_ body: () throws(JSONError) -> Void) -> JSONError.Code? {
            do {
                try body()
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code { () throws(JSONError) in _ = try sample.require("missing") } == .keyNotFound)
        #expect(code { () throws(JSONError) in _ = try JSON.array([]).require("a") } == .typeMismatch)
        #expect(code { () throws(JSONError) in _ = try sample.require("count").requireString() } == .typeMismatch)
        #expect(code { () throws(JSONError) in _ = try sample.require("ratio").requireInt() } == .typeMismatch)
        #expect(code { () throws(JSONError) in _ = try sample.require("name").requireDouble() } == .typeMismatch)
        #expect(code { () throws(JSONError) in _ = try sample.require("none").requireBool() } == .typeMismatch)
        #expect(code { () throws(JSONError) in _ = try sample.require("nested").requireArray() } == .typeMismatch)
        #expect(code { () throws(JSONError) in _ = try sample.require("list").requireObject() } == .typeMismatch)
    }

    @Test func numbersCompareByValue() {
        #expect(JSON.int(1) == JSON.double(1.0))
        #expect(JSON.double(-0.0) == JSON.int(0))
        #expect(JSON.int(1) != JSON.double(1.5))
        #expect(JSON.int(.max) != JSON.double(9_223_372_036_854_775_808.0))
        #expect(JSON.int(1) != JSON.string("1"))
        #expect(JSON.int(0) != JSON.bool(false))
        #expect(JSON.null != JSON.int(0))
        #expect(Set<JSON>([.int(2), .double(2.0), .double(2.5)]).count == 2)
        #expect(JSON.int(2).hashValue == JSON.double(2.0).hashValue)
    }

    @Test func containersCompareStructurally() {
        #expect(JSON.array([1, 2]) != JSON.array([2, 1]))
        #expect(JSON.array([1, 2]) == JSON.array([1.0, 2]))
        let a: JSON = ["x": 1, "y": [true]]
        let b: JSON = ["y": [true], "x": 1.0]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1])
        #expect(a != ["x": 1, "y": [false]])
        #expect(a != ["x": 1, "z": [true]])
    }

    @Test func descriptionIsCompactText() {
        let value: JSON = ["a": [1, 2.5, "x"], "b": nil]
        #expect(value.description == #"{"a":[1,2.5,"x"],"b":null}"#)
        #expect("\(value)" == value.text)
    }
}
