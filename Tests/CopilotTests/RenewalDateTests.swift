import Testing

@testable import Copilot

/// Expected texts computed independently with Python: `datetime(…).isoformat()` and
/// `(datetime(…) - datetime(1970, 1, 1)).total_seconds()`.
@Suite struct RenewalDateTests {
    @Test(arguments: [
        ("1799999523.187677", "2027-01-15T07:52:03.187677"),
        ("1799999523.000000", "2027-01-15T07:52:03"),
        ("1799999523", "2027-01-15T07:52:03"),
        ("0.000001", "1970-01-01T00:00:00.000001"),
        ("-0.500000", "1969-12-31T23:59:59.500000"),
        ("-1.000000", "1969-12-31T23:59:59"),
        ("951782400.120000", "2000-02-29T00:00:00.120000"),
        ("-62135596800.000000", "0001-01-01T00:00:00"),
        ("253402300799.999999", "9999-12-31T23:59:59.999999"),
        ("-2208988800.1", "1899-12-31T23:59:59.900000"),
    ])
    func isoformatMatchesPython(epoch: String, iso: String) throws {
        let date = try #require(RenewalDate(epochText: epoch))
        #expect(date.isoformat == iso)
    }

    @Test func valuesPythonCannotRenderHaveNoText() throws {
        // Year 10000, 1 BC (astronomical year 0), 4713 BC, and the infinities.
        for epoch in ["253402300800.000000", "-62135596800.000001", "-210866803200.000000", "Infinity", "-Infinity"] {
            let date = try #require(RenewalDate(epochText: epoch))
            #expect(date.isoformat == nil, "\(epoch)")
        }
        #expect(RenewalDate(epochText: "Infinity") == .distantFuture)
        #expect(RenewalDate(epochText: "-Infinity") == .distantPast)
        #expect(RenewalDate(epochText: "Infinity")?.epochSeconds == .max)
        #expect(RenewalDate(epochText: "-Infinity")?.epochSeconds == .min)
        // 294276 AD, the latest timestamp Postgres stores, still orders.
        #expect(RenewalDate(epochText: "9224318016000.000000")?.epochSeconds == 9_224_318_016_000)
    }

    @Test func negativeFractionsFloor() {
        #expect(RenewalDate(epochText: "-0.500000") == .instant(seconds: -1, microseconds: 500_000))
        #expect(RenewalDate(epochText: "-2.000000") == .instant(seconds: -2, microseconds: 0))
    }

    @Test func refusesOtherText() {
        for text in ["", "-", ".5", "NaN", "1e9", "12a", "1.2.3", " 1", "1234567890123456"] {
            #expect(RenewalDate(epochText: text) == nil, "\(text)")
        }
    }
}
