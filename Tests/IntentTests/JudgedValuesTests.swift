import Testing

@testable import Intent

@Suite struct JudgedValuesTests {
    func filters(industry: String? = nil, size: String? = nil, region: String? = nil) -> IntentModel.Filters {
        IntentModel.Filters(industry: industry, size: size, region: region)
    }

    /// A value row of `IntentSQL.postings`.
    func value(_ kind: String, _ value: String) -> [String?] { [kind, nil, nil, nil, value, nil, nil] }

    @Test func judgesEachCriterionWithItsFilter() {
        let judged = JudgedValues(
            rows: [
                value("industry", "ÉNERGIE"), value("industry", "Énergies"), value("industry", "énergie"),
                value("size", "ＳＭＡＬＬ"), value("size", "small"),
                value("region", "Zürich"), value("region", "ZÜRICH"), value("region", "Zurich"),
            ],
            filters: filters(industry: "Énergie", size: "ｓｍａｌｌ", region: "zürich"))
        #expect(judged.industry.all == ["ÉNERGIE", "Énergies", "énergie"])
        #expect(judged.industry.matches == ["ÉNERGIE", "énergie"])
        #expect(judged.size.all == ["ＳＭＡＬＬ", "small"])
        #expect(judged.size.matches == ["ＳＭＡＬＬ"]) // full-width lower-cases to full-width, never to ASCII
        #expect(judged.region.all == ["Zürich", "ZÜRICH", "Zurich"])
        #expect(judged.region.matches == ["Zürich", "ZÜRICH"])
    }

    @Test func canonicallyEquivalentValuesMatch() {
        // `e` + U+0301 and the precomposed `é` are the same text to Swift's comparison.
        let judged = JudgedValues(rows: [value("industry", "Cafe\u{301}")], filters: filters(industry: "CAF\u{C9}"))
        #expect(judged.industry.matches == ["Cafe\u{301}"])
    }

    @Test func aCriterionWithoutFilterIsNotJudged() {
        let judged = JudgedValues(
            rows: [value("industry", "Énergie"), value("size", "Ｍ"), value("region", "Zürich")], filters: filters(size: "ｍ"))
        #expect(judged.industry.all.isEmpty && judged.industry.matches.isEmpty)
        #expect(judged.region.all.isEmpty && judged.region.matches.isEmpty)
        #expect(judged.size.all == ["Ｍ"] && judged.size.matches == ["Ｍ"])
    }

    @Test func otherRowsAreIgnored() {
        let judged = JudgedValues(
            rows: [
                ["s", "3", "9", "1", nil, nil, nil], ["p", nil, nil, nil, "énergie", nil, "0:1,1,1"],
                ["industry", nil, nil, nil, nil, nil, nil], // no value
                [nil, nil, nil, nil, "énergie", nil, nil], // no kind
                ["industry", nil, nil, nil], // too short
                ["Industry", nil, nil, nil, "énergie", nil, nil], // kinds are exact
                value("industry", "Énergie"),
            ],
            filters: filters(industry: "énergie"))
        #expect(judged.industry.all == ["Énergie"] && judged.industry.matches == ["Énergie"])
        #expect(JudgedValues(rows: [], filters: filters(industry: "x")).industry.all.isEmpty)
    }
}
