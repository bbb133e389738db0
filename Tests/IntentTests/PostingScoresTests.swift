import Middleware
import Testing

@testable import Intent

@Suite struct PostingScoresTests {
    /// The `s` row of `IntentSQL.postings`.
    func stats(documents: Int, terms: Int, version: Int64 = 1) -> [String?] {
        ["s", String(documents), String(terms), String(version), nil, nil, nil]
    }

    /// A `p` row of `IntentSQL.postings`.
    func posting(_ term: String, _ postings: String) -> [String?] {
        ["p", nil, nil, nil, term, nil, postings]
    }

    /// The `s` row and the `p` rows of `terms` for a corpus of (evidence id, terms) documents, as the database
    /// sends them: chunks of 256 ids `base:offset,count,length …` joined by `;`.
    func rows(_ corpus: [(id: Int, terms: [String])], terms: [String], version: Int64 = 7) -> [[String?]] {
        var rows = [stats(documents: corpus.count, terms: corpus.reduce(0) { $0 + $1.terms.count }, version: version)]
        for term in terms {
            var chunks: [(base: Int, postings: [String])] = []
            for document in corpus.sorted(by: { $0.id < $1.id }) {
                let count = document.terms.filter { $0 == term }.count
                guard count > 0 else { continue }
                let base = document.id / 256 * 256
                if chunks.last?.base != base { chunks.append((base, [])) }
                chunks[chunks.count - 1].postings.append("\(document.id - base),\(count),\(document.terms.count)")
            }
            guard !chunks.isEmpty else { continue }
            rows.append(posting(term, chunks.map { "\($0.base):" + $0.postings.joined(separator: " ") }.joined(separator: ";")))
        }
        return rows
    }

    /// A deterministic corpus of `count` documents over a small vocabulary, with evidence ids from `id(i)`.
    func corpus(_ count: Int, id: (Int) -> Int) -> [(id: Int, terms: [String])] {
        let vocabulary = ["renewal", "budget", "cut", "hiring", "churn", "expansion", "pilot", "security", "audit", "the"]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        return (0..<count).map { i in (id(i), (0..<next(12)).map { _ in vocabulary[next(vocabulary.count)] }) }
    }

    /// The scores `BM25` gives in memory, for the documents at or above `threshold`.
    func reference(_ corpus: [(id: Int, terms: [String])], _ query: [String], threshold: Double) -> [Int64: Double] {
        let index = BM25(documents: corpus.map(\.terms))
        var scores: [Int64: Double] = [:]
        for (i, document) in corpus.enumerated() {
            let score = index.score(query, document: i)
            if score >= threshold, score > 0 { scores[Int64(document.id)] = score }
        }
        return scores
    }

    @Test(arguments: [
        // Dense ids across several 256-id chunks: the flat array.
        (1, 3), (250, 1),
        // Ids far apart (a span over 2^22): the dictionary.
        (0, 100_003), (17, 99_991),
    ])
    func sameBitsAsTheInMemoryIndex(_ start: Int, _ step: Int) throws {
        let documents = corpus(400) { start + $0 * step }
        for query in [["renewal"], ["renewal", "budget", "renewal"], ["cut", "the", "audit", "churn"], ["pilot", "absent"]] {
            let terms = BM25.distinct(query)
            for threshold in [0.5, 1.5, IntentModel.relevanceThreshold] {
                let scores = try PostingScores(rows: rows(documents, terms: terms), queryTerms: terms, threshold: threshold)
                let expected = reference(documents, terms, threshold: threshold)
                let wrong = expected.filter { scores.relevant[$0.key] != $0.value }.keys.sorted()
                #expect(
                    scores.relevant.count == expected.count && wrong.isEmpty,
                    "query \(query), threshold \(threshold): \(scores.relevant.count) scores for \(expected.count), ids \(wrong.prefix(5)) differ")
            }
        }
        // The comparison means something: some documents pass the low threshold, fewer the high one.
        let terms = ["cut", "the", "audit", "churn"]
        let low = try PostingScores(rows: rows(documents, terms: terms), queryTerms: terms, threshold: 0.5)
        let high = try PostingScores(rows: rows(documents, terms: terms), queryTerms: terms, threshold: 3)
        #expect(low.relevant.count > high.relevant.count && !high.relevant.isEmpty)
    }

    @Test func keepsTheStatisticsAndIgnoresOtherRows() throws {
        let scores = try PostingScores(
            rows: [
                ["industry", nil, nil, nil, "Software", nil, nil],
                stats(documents: 2, terms: 4, version: 42),
                posting("renewal", "0:1,2,3"),
            ],
            queryTerms: ["renewal"], threshold: 0)
        #expect(scores.documents == 2 && scores.terms == 4 && scores.version == 42)
        #expect(scores.relevant.keys.sorted() == [1])
    }

    @Test func scoresOneTermByHand() throws {
        // N = 4, 8 terms (avgdl 2), `renewal` in ids 1 (count 2, length 3) and 3 (count 1, length 1): df 2, idf ln 2.
        let scores = try PostingScores(
            rows: [stats(documents: 4, terms: 8), posting("renewal", "0:1,2,3 3,1,1")], queryTerms: ["renewal"], threshold: 0.5)
        let relevant = scores.relevant
        #expect(relevant.count == 2)
        #expect(abs((relevant[1] ?? 0) - 0.8355746834147286) < 1e-12)
        #expect(abs((relevant[3] ?? 0) - 0.8713850269896455) < 1e-12)
        // The threshold keeps only what reaches it.
        let strict = try PostingScores(
            rows: [stats(documents: 4, terms: 8), posting("renewal", "0:1,2,3 3,1,1")], queryTerms: ["renewal"], threshold: 0.85)
        #expect(strict.relevant.keys.sorted() == [3])
    }

    @Test func nothingToScore() throws {
        // An organization without evidence, and a query whose terms no evidence holds.
        let empty = try PostingScores(rows: [stats(documents: 0, terms: 0, version: 0)], queryTerms: ["renewal"], threshold: 0)
        #expect(empty.relevant.isEmpty && empty.documents == 0 && empty.version == 0)
        let unmatched = try PostingScores(rows: [stats(documents: 5, terms: 20)], queryTerms: ["renewal", "budget"], threshold: 0)
        #expect(unmatched.relevant.isEmpty)
        let noTerms = try PostingScores(rows: [stats(documents: 5, terms: 20)], queryTerms: [], threshold: 0)
        #expect(noTerms.relevant.isEmpty)
    }

    @Test(arguments: [
        ("no statistics", [["p", nil, nil, nil, "renewal", nil, "0:1,1,1"]]),
        ("two statistics", [["s", "1", "1", "1", nil, nil, nil], ["s", "1", "1", "1", nil, nil, nil]]),
        ("a short row", [["s", "1", "1", "1", nil, nil, nil], ["p", nil, nil, nil, "renewal", nil]]),
        ("statistics not numbers", [["s", "one", "1", "1", nil, nil, nil]]),
        ("a term not asked for", [["s", "1", "1", "1", nil, nil, nil], ["p", nil, nil, nil, "budget", nil, "0:1,1,1"]]),
        ("a term twice", [["s", "1", "1", "1", nil, nil, nil], ["p", nil, nil, nil, "renewal", nil, "0:1,1,1"], ["p", nil, nil, nil, "renewal", nil, "0:2,1,1"]]),
        ("empty postings", [["s", "1", "1", "1", nil, nil, nil], ["p", nil, nil, nil, "renewal", nil, ""]]),
        ("malformed postings", [["s", "1", "1", "1", nil, nil, nil], ["p", nil, nil, nil, "renewal", nil, "0:1,1"]]),
        ("postings without a term", [["s", "1", "1", "1", nil, nil, nil], ["p", nil, nil, nil, nil, nil, "0:1,1,1"]]),
    ] as [(String, [[String?]])])
    func malformedRowsAreAToolFailure(_ name: String, _ rows: [[String?]]) {
        #expect(throws: EnvelopeError(.toolFailure, "The query could not be scored."), "\(name)") {
            try PostingScores(rows: rows, queryTerms: ["renewal"], threshold: 0)
        }
    }

    @Test func parsesPostings() {
        #expect(PostingScores.postings("0:1,2,10") == [1, 2, 10])
        #expect(PostingScores.postings("0:1,2,10 255,1,3") == [1, 2, 10, 255, 1, 3])
        #expect(PostingScores.postings("256:0,3,4;1024:7,1,1 8,2,9") == [256, 3, 4, 1031, 1, 1, 1032, 2, 9])
        #expect(PostingScores.postings("0:0,1,0") == [0, 1, 0]) // a length of 0 is a number like any other
        #expect(PostingScores.postings("") == [])
        let big = 999_999_999_999_999_744 // 18 digits, a multiple of 256
        #expect(PostingScores.postings("\(big):5,1,1") == [big + 5, 1, 1])
    }

    @Test(arguments: [
        "1:1,1,1", // id base not a multiple of 256
        "0:256,1,1", // offset beyond a chunk
        "0:1,0,1", // count below 1
        "0:", "0:;256:1,1,1", ";", "0:1,1,1;", // empty chunks
        "0:1,1", "0:1", "0:1,1,", ":1,1,1", "0", // missing numbers
        "0:1,1,1 ", "0:1,1,1  2,1,1", "0:1,1,1,", "0:1,1,1;;256:1,1,1", // stray separators
        "0:-1,1,1", "0:1,+1,1", "x:1,1,1", "0:1,1,1x", "0:1;1,1", // not decimal digits
        "0:0001,1,1", // an offset of more than 3 digits
        "1000000000000000000000:1,1,1", // an id base of more than 18 digits
        "0:1,1234567890123,1", // a count of more than 12 digits
    ])
    func refusesMalformedPostings(_ text: String) {
        #expect(PostingScores.postings(text) == nil)
    }
}
