/// The company values SQL cannot compare with a fit filter exactly as `IntentModel.fit` does (either side has a
/// non-ASCII character), judged here with that very comparison: per criterion, those equal to the filter and all of
/// them (`IntentSQL.postings` finds them, `IntentSQL.rankAndRecord` uses the verdicts).
struct JudgedValues {
    /// The values of one criterion.
    struct Verdicts {
        /// Those equal to the filter.
        var matches: [String] = []
        /// All of them.
        var all: [String] = []
    }

    var industry = Verdicts()
    var size = Verdicts()
    var region = Verdicts()

    /// Judges the values of the `industry`, `size` and `region` rows of `IntentSQL.postings` (column 4).
    init(rows: [[String?]], filters: IntentModel.Filters) {
        for row in rows {
            guard row.count > 4, let kind = row[0], let value = row[4] else { continue }
            switch kind {
            case "industry": Self.judge(value, filters.industry, &industry)
            case "size": Self.judge(value, filters.size, &size)
            case "region": Self.judge(value, filters.region, &region)
            default: continue
            }
        }
    }

    private static func judge(_ value: String, _ filter: String?, _ verdicts: inout Verdicts) {
        guard let filter else { return }
        verdicts.all.append(value)
        if IntentModel.matches(filter, value) { verdicts.matches.append(value) }
    }
}
