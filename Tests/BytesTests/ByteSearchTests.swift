import Bytes
import TestSupport
import Testing

@Suite("Byte search")
struct ByteSearchTests {
    @Test func findsTheFirstOccurrence() {
        let bytes = Array("abcabcd".utf8)
        #expect(bytes.firstRange(ofBytes: "abc".utf8) == 0..<3)
        #expect(bytes.firstRange(ofBytes: "bcd".utf8) == 4..<7)
        #expect(bytes.firstRange(ofBytes: "d".utf8) == 6..<7)
        #expect(bytes.firstRange(ofBytes: "abcabcd".utf8) == 0..<7)
        #expect(bytes.firstRange(ofBytes: "abcabcde".utf8) == nil)
        #expect(bytes.firstRange(ofBytes: "abd".utf8) == nil)
        #expect(bytes.firstRange(ofBytes: "x".utf8) == nil)
        #expect([UInt8]().firstRange(ofBytes: "a".utf8) == nil)
    }

    @Test func emptyNeedleOccursAtTheStart() {
        #expect(Array("ab".utf8).firstRange(ofBytes: [UInt8]()) == 0..<0)
        #expect([UInt8]().firstRange(ofBytes: [UInt8]()) == 0..<0)
        #expect([UInt8]().containsBytes([UInt8]()))
        #expect("x".utf8.containsBytes("".utf8))
    }

    @Test func slicesKeepTheirIndices() {
        let body = Array("xx<Code>Throttling</Code>yy".utf8)
        let open = body.firstRange(ofBytes: "<Code>".utf8)
        #expect(open == 2..<8)
        let rest = body[(open?.upperBound ?? 0)...]
        let close = rest.firstRange(ofBytes: "</Code>".utf8)
        #expect(close == 18..<25)
        #expect(rest.firstRange(ofBytes: "<Code>".utf8) == nil)
    }

    @Test func searchesStringsAndNonContiguousCollections() {
        let text = "Fn::Sub ${AWS::Region} ${Name.Arn}"
        let range = text.utf8.firstRange(ofBytes: "${".utf8)
        #expect(range.map { String(text[$0.upperBound...]) } == "AWS::Region} ${Name.Arn}")
        let sub = text.dropFirst(10)
        #expect(sub.utf8.firstRange(ofBytes: "${".utf8).map { String(sub[$0.lowerBound...]) } == "${Name.Arn}")
        #expect("é and ü".utf8.containsBytes("ü".utf8))
        #expect(!"é and ü".utf8.containsBytes([0xBC, 0xC3]))
        let lazy = Array("hello world".utf8).lazy.map { $0 }
        #expect(lazy.containsBytes("o w".utf8))
        #expect(!lazy.containsBytes("ow".utf8))
        #expect(Array("hello".utf8).containsBytes(Array("ll".utf8).lazy.map { $0 }))
        #expect("sslmode=require: SSL SYSCALL error".containsASCII("SSL SYSCALL"))
    }

    @Test func agreesWithANaiveSearch() {
        var generator = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let hay = (0..<Int(generator.next() % 12)).map { _ in UInt8(truncatingIfNeeded: generator.next() % 3) }
            let pin = (0..<Int(generator.next() % 4)).map { _ in UInt8(truncatingIfNeeded: generator.next() % 3) }
            var expected: Range<Int>? = pin.isEmpty ? 0..<0 : nil
            if !pin.isEmpty, hay.count >= pin.count {
                for start in 0...(hay.count - pin.count) where Array(hay[start..<(start + pin.count)]) == pin {
                    expected = start..<(start + pin.count)
                    break
                }
            }
            #expect(hay.firstRange(ofBytes: pin) == expected, "\(hay) \(pin)")
            #expect(hay.containsBytes(pin) == (expected != nil))
        }
    }
}

extension String {
    fileprivate func containsASCII(_ needle: String) -> Bool { utf8.containsBytes(needle.utf8) }
}
