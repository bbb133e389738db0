import Testing

@testable import Postgres

/// The text each bound value goes to libpq as (arrays as Postgres array literals).
@Suite struct PGValueTests {
    @Test func scalarsAndNull() {
        #expect(PGValue.null.textForm == nil)
        #expect(PGValue.text("a b").textForm == "a b")
        #expect(PGValue.int(-42).textForm == "-42")
        #expect(PGValue.double(0.5).textForm == "0.5")
        #expect(PGValue.bool(true).textForm == "t" && PGValue.bool(false).textForm == "f")
    }

    @Test func arraysQuoteEveryTextElement() {
        #expect(PGValue.textArray([]).textForm == "{}")
        #expect(PGValue.textArray(["tenant:acme"]).textForm == #"{"tenant:acme"}"#)
        #expect(PGValue.textArray(["a,b", "{c}", #"q"uote"#, #"back\slash"#, "", "Zürich"]).textForm
            == #"{"a,b","{c}","q\"uote","back\\slash","","Zürich"}"#)
        #expect(PGValue.doubleArray([]).textForm == "{}")
        #expect(PGValue.doubleArray([60, 1, 0.25, -3e-7]).textForm == "{60.0,1.0,0.25,-3e-07}")
    }
}
