import Testing
import WardenJSON

@Suite("JSONObject")
struct JSONObjectTests {
    @Test func keepsInsertionOrder() {
        var object = JSONObject()
        #expect(object.isEmpty)
        object["zeta"] = 1
        object["alpha"] = 2
        object["mid"] = 3
        #expect(object.keys == ["zeta", "alpha", "mid"])
        #expect(object.values == [1, 2, 3])
        #expect(object.count == 3)
        #expect(object.map(\.key) == ["zeta", "alpha", "mid"])
        #expect(object[1].key == "alpha")
        #expect(JSON.object(object).text == #"{"zeta":1,"alpha":2,"mid":3}"#)
    }

    @Test func initFromPairsKeepsDuplicates() {
        let object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(object.count == 3)
        #expect(object.hasDuplicateKeys)
        #expect(object["a"] == 3)
        #expect(object.lastIndex(forKey: "a") == 2)
        #expect(JSON.object(object).text == #"{"a":1,"b":2,"a":3}"#)
    }

    @Test func appendShadowsAndFlagsDuplicates() {
        var object: JSONObject = ["a": 1]
        #expect(!object.hasDuplicateKeys)
        object.append(key: "b", value: 2)
        #expect(!object.hasDuplicateKeys)
        object.append(key: "a", value: 9)
        #expect(object.hasDuplicateKeys)
        #expect(object["a"] == 9)
        #expect(object.keys == ["a", "b", "a"])
    }

    @Test func updateReplacesInPlace() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        let old = object.updateValue("B", forKey: "b")
        #expect(old == 2)
        #expect(object.keys == ["a", "b", "c"])
        #expect(object["b"] == "B")
        #expect(object.updateValue(4, forKey: "d") == nil)
        #expect(object.keys == ["a", "b", "c", "d"])
        #expect(object["missing", default: "fallback"] == "fallback")
        #expect(object["a", default: "fallback"] == 1)
    }

    @Test func removeDeletesEveryOccurrence() {
        var object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(object.removeValue(forKey: "a") == 3)
        #expect(object.keys == ["b"])
        #expect(!object.hasDuplicateKeys)
        #expect(object["a"] == nil)
        #expect(object.removeValue(forKey: "a") == nil)
        object["b"] = nil
        #expect(object.isEmpty)
        #expect(!object.contains(key: "b"))
    }

    @Test func largeObjectsUseTheIndexCorrectly() {
        var object = JSONObject()
        let count = JSONObject.indexThreshold * 3
        for index in 0..<count {
            object.append(key: "key\(index)", value: .int(Int64(index)))
        }
        #expect(!object.hasDuplicateKeys)
        for index in 0..<count {
            #expect(object["key\(index)"] == .int(Int64(index)))
            #expect(object.lastIndex(forKey: "key\(index)") == index)
        }
        #expect(object["key\(count)"] == nil)

        object.append(key: "key5", value: "shadow")
        #expect(object.hasDuplicateKeys)
        #expect(object["key5"] == "shadow")
        #expect(object.lastIndex(forKey: "key5") == count)

        object["key7"] = "updated"
        #expect(object.lastIndex(forKey: "key7") == 7)
        #expect(object["key7"] == "updated")

        #expect(object.removeValue(forKey: "key5") == "shadow")
        #expect(!object.hasDuplicateKeys)
        #expect(object["key5"] == nil)
        // Positions shifted after removal: lookups must still be right.
        #expect(object["key6"] == 6)
        #expect(object.lastIndex(forKey: "key6") == 5)
        #expect(object["key\(count - 1)"] == .int(Int64(count - 1)))

        // Shrinking below the threshold falls back to scanning.
        for index in 0..<(count - 3) {
            object.removeValue(forKey: "key\(index)")
        }
        #expect(object.keys == ["key\(count - 3)", "key\(count - 2)", "key\(count - 1)"])
        #expect(object["key\(count - 2)"] == .int(Int64(count - 2)))
        object.append(key: "key\(count - 2)", value: nil)
        #expect(object.hasDuplicateKeys)
        #expect(object["key\(count - 2)"] == .null)
    }

    @Test func removeAllResets() {
        var object = JSONObject([("a", 1), ("a", 2)])
        object.removeAll()
        #expect(object.isEmpty)
        #expect(!object.hasDuplicateKeys)
        object["a"] = 3
        #expect(object["a"] == 3)
    }

    @Test func equalityIgnoresOrderAndShadowedMembers() {
        let a: JSONObject = ["x": 1, "y": 2]
        let b: JSONObject = ["y": 2, "x": 1]
        let shadowed = JSONObject([("x", 0), ("y", 2), ("x", 1)])
        #expect(a == b)
        #expect(a == shadowed)
        #expect(a.hashValue == b.hashValue)
        #expect(a.hashValue == shadowed.hashValue)
        #expect(a != ["x": 1])
        #expect(a != ["x": 1, "y": 3])
        #expect(a != ["x": 1, "z": 2])
        #expect(JSONObject([("x", 1), ("y", 2), ("x", 0)]) != a)
        #expect(Set([a, b, shadowed]).count == 1)
    }
}
