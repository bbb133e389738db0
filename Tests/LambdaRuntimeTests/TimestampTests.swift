import Testing

@testable import LambdaRuntime

@Suite struct TimestampTests {
    @Test func knownInstants() {
        let cases: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_795_402_800_250, "2026-11-23T03:00:00.250Z"),
            (951_782_400_007, "2000-02-29T00:00:00.007Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "10000-01-01T00:00:00.000Z"),
            (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (-62_198_755_200_000, "-0001-01-01T00:00:00.000Z"),
        ]
        for (milliseconds, text) in cases {
            #expect(Timestamp.iso8601(milliseconds: milliseconds) == text, "\(milliseconds)")
        }
    }

    /// Every field is zero-padded to its width, whatever the instant: against a plain formatting of `civil`.
    @Test func fieldsArePaddedToTheirWidths() {
        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var state: UInt64 = 1_000_000_007
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let milliseconds = Int64(state % 250_000_000_000_000)
            let c = Timestamp.civil(seconds: milliseconds / 1000)
            let expected = "\(padded(c.year, 4))-\(padded(c.month, 2))-\(padded(c.day, 2))T\(padded(c.hour, 2)):"
                + "\(padded(c.minute, 2)):\(padded(c.second, 2)).\(padded(milliseconds % 1000, 3))Z"
            #expect(Timestamp.iso8601(milliseconds: milliseconds) == expected)
        }
    }
}
