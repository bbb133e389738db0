#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Splits text into search terms: maximal runs of ASCII letters and digits, lower-cased. Every other byte
/// (punctuation, spaces, any non-ASCII byte) separates terms.
enum Tokenizer {
    /// The terms of `text`, in order, duplicates kept.
    static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        var current: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x61...0x7A: current.append(byte)
            case 0x41...0x5A: current.append(byte | 0x20)
            default:
                if !current.isEmpty {
                    terms.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                }
            }
        }
        if !current.isEmpty { terms.append(String(decoding: current, as: UTF8.self)) }
        return terms
    }
}

/// Okapi BM25 over a fixed corpus of documents (already tokenized).
///
/// For a query term `t` in document `d`:
/// `idf(t) × tf × (k1 + 1) / (tf + k1 × (1 − b + b × |d| / avgdl))` with
/// `idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))`, where `N` is the number of documents, `df(t)` how many of
/// them contain `t`, `tf` how often `t` occurs in `d` and `avgdl` the mean document length in terms. A document's
/// score is the sum over the query's *distinct* terms, in the order they first occur in the query.
///
/// The formula lives in the static functions, shared by this in-memory index (the `scan` strategy) and by
/// `PostingScores` (the `index` strategy, from the database's posting lists), so both compute the same bits.
struct BM25 {
    /// Term-frequency saturation.
    static let k1 = 1.2
    /// Length normalisation.
    static let b = 0.75

    /// `ln(1 + (N − df + 0.5) / (df + 0.5))`: always positive.
    static func inverseDocumentFrequency(documents: Int, containing: Int) -> Double {
        let n = Double(documents), df = Double(containing)
        return log(1 + (n - df + 0.5) / (df + 0.5))
    }

    /// Mean document length; 0 for an empty corpus.
    static func averageLength(documents: Int, terms: Int) -> Double {
        documents == 0 ? 0 : Double(terms) / Double(documents)
    }

    /// `1 − b + b × |d| / avgdl`.
    static func lengthNorm(length: Int, averageLength: Double) -> Double {
        1 - b + b * Double(length) / averageLength
    }

    /// One term's share of a document's score.
    static func termScore(idf: Double, count: Int, norm: Double) -> Double {
        let tf = Double(count)
        return idf * tf * (k1 + 1) / (tf + k1 * norm)
    }

    /// The query's distinct terms, in order of first occurrence.
    static func distinct(_ terms: [String]) -> [String] {
        var seen: Set<String> = []
        return terms.filter { seen.insert($0).inserted }
    }

    /// Term counts of each document.
    private let counts: [[String: Int]]
    /// Length (in terms) of each document.
    private let lengths: [Int]
    /// Documents containing each term.
    private let documentFrequency: [String: Int]
    /// Mean document length; 0 for an empty corpus (or one of empty documents).
    private let averageLength: Double

    /// Indexes `documents` (each a list of terms).
    init(documents: [[String]]) {
        var counts: [[String: Int]] = []
        var df: [String: Int] = [:]
        counts.reserveCapacity(documents.count)
        for terms in documents {
            var tf: [String: Int] = [:]
            for term in terms { tf[term, default: 0] += 1 }
            for term in tf.keys { df[term, default: 0] += 1 }
            counts.append(tf)
        }
        self.counts = counts
        lengths = documents.map(\.count)
        documentFrequency = df
        averageLength = Self.averageLength(documents: documents.count, terms: lengths.reduce(0, +))
    }

    /// The idf of `term` in this corpus.
    func idf(_ term: String) -> Double {
        Self.inverseDocumentFrequency(documents: counts.count, containing: documentFrequency[term] ?? 0)
    }

    /// The score of document `index` for `query` (its distinct terms count once each).
    func score(_ query: [String], document index: Int) -> Double {
        guard counts.indices.contains(index), averageLength > 0 else { return 0 }
        let tfs = counts[index]
        let norm = Self.lengthNorm(length: lengths[index], averageLength: averageLength)
        var sum = 0.0
        for term in Self.distinct(query) {
            guard let count = tfs[term] else { continue }
            sum += Self.termScore(idf: idf(term), count: count, norm: norm)
        }
        return sum
    }
}

/// The deterministic intent model (seed 002): how well a company fits the filters and how strongly its recent
/// evidence matches the query.
///
/// - An evidence text is *relevant* when its BM25 score for the query (corpus: the organization's evidence) is at
///   least `relevanceThreshold`; its weight decays with age: `exp(−age_days / 90)`.
/// - `intent = 100 × (1 − exp(−Σ bm25 × weight / 10))` over the relevant evidence (saturating at 100), then
///   `+ 20` with a churn signal and `+ 15` with a job posting, capped at 100.
/// - `fit = 100 × (0.4 × industry + 0.3 × size + 0.3 × region)`, each 1 when the filter is absent or equals the
///   company's value ignoring case, else 0.
/// - `final = 0.6 × fit + 0.4 × intent`; companies rank by final, then intent (both descending), then id.
enum IntentModel {
    /// Least BM25 score of relevant evidence.
    static let relevanceThreshold = 8.0
    /// Age (days) over which an evidence weight falls by a factor e.
    static let decayDays = 90.0
    /// Divisor of the evidence sum inside the saturating exponential.
    static let saturation = 10.0
    /// Bonus of a churn signal, of a job posting.
    static let churnBonus = 20.0
    static let jobPostingBonus = 15.0

    /// A company as stored.
    struct Company {
        let id: Int64
        let name: String
        let domain: String?
        let industry: String?
        let sizeBand: String?
        let region: String?
        let churnSignal: Bool
        let jobPosting: Bool
        var evidence: [Evidence]
    }

    /// One evidence item of a company: its age in days (by the database's clock) and its BM25 score for the query
    /// (corpus: all of the organization's evidence).
    struct Evidence {
        let id: Int64
        let observedAt: String
        let ageDays: Double
        let bm25: Double
    }

    /// The optional fit filters (validated by `ScoreRequest`).
    typealias Filters = ScoreRequest.Filters

    /// An evidence item that counted: its BM25 score and its age weight.
    struct ScoredEvidence {
        let evidence: Evidence
        let bm25: Double
        let weight: Double
    }

    /// A company's scores (unrounded) and the evidence that counted, strongest contribution first.
    struct Result {
        let company: Company
        let fit: Double
        let intent: Double
        let final: Double
        let evidence: [ScoredEvidence]
    }

    /// Scores every company (its evidence already scored for the query) and returns them ranked, best first.
    static func rank(_ companies: [Company], filters: Filters) -> [Result] {
        var results: [Result] = []
        results.reserveCapacity(companies.count)
        for company in companies {
            var relevant: [ScoredEvidence] = []
            for item in company.evidence where item.bm25 >= relevanceThreshold {
                relevant.append(ScoredEvidence(evidence: item, bm25: item.bm25, weight: weight(ageDays: item.ageDays)))
            }
            relevant.sort { ($0.bm25 * $0.weight, $1.evidence.id) > ($1.bm25 * $1.weight, $0.evidence.id) }
            let intent = intent(relevant, churnSignal: company.churnSignal, jobPosting: company.jobPosting)
            let fit = fit(company, filters)
            results.append(
                Result(company: company, fit: fit, intent: intent, final: 0.6 * fit + 0.4 * intent, evidence: relevant))
        }
        results.sort { a, b in
            if a.final != b.final { return a.final > b.final }
            if a.intent != b.intent { return a.intent > b.intent }
            return a.company.id < b.company.id
        }
        return results
    }

    /// `exp(−age_days / 90)`; evidence dated in the future counts as new (age 0).
    static func weight(ageDays: Double) -> Double {
        exp(-max(0, ageDays) / decayDays)
    }

    /// The intent score (0–100) from the relevant evidence and the two signals.
    static func intent(_ relevant: [ScoredEvidence], churnSignal: Bool, jobPosting: Bool) -> Double {
        let sum = relevant.reduce(0.0) { $0 + $1.bm25 * $1.weight }
        var score = 100 * (1 - exp(-sum / saturation))
        if churnSignal { score += churnBonus }
        if jobPosting { score += jobPostingBonus }
        return min(100, score)
    }

    /// The fit score (0, 30, 40, 60, 70 or 100).
    static func fit(_ company: Company, _ filters: Filters) -> Double {
        func matches(_ filter: String?, _ value: String?) -> Double {
            guard let filter else { return 1 }
            guard let value else { return 0 }
            return Self.matches(filter, value) ? 1 : 0
        }
        return 100
            * (0.4 * matches(filters.industry, company.industry) + 0.3 * matches(filters.size, company.sizeBand)
                + 0.3 * matches(filters.region, company.region))
    }

    /// Whether a company's value meets a fit filter: equal ignoring case (Unicode lower case, canonical
    /// equivalence).
    static func matches(_ filter: String, _ value: String) -> Bool {
        filter.lowercased() == value.lowercased()
    }

    /// `value` rounded to two decimals (half away from zero).
    static func rounded(_ value: Double) -> Double {
        (value * 100).rounded() / 100
    }
}
