import Testing

@testable import Intent

/// Expected values computed independently (Python, the formula of `BM25`'s documentation).
@Suite struct BM25Tests {
    /// N = 4, total length 8, avgdl = 2; `renewal` and `budget` are each in 2 documents (idf ln 2), `cut` in 1.
    let index = BM25(documents: [["renewal", "budget", "renewal"], ["budget", "cut"], ["hiring", "engineers"], ["renewal"]])

    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

    @Test func scoresMatchAnIndependentComputation() {
        let query = ["renewal", "budget"]
        #expect(close(index.score(query, document: 0), 1.4110176257663813))
        #expect(close(index.score(query, document: 1), 0.6931471805599453))
        #expect(index.score(query, document: 2) == 0)
        #expect(close(index.score(query, document: 3), 0.8713850269896455))
        #expect(close(index.score(["cut"], document: 1), 1.2039728043259361))
    }

    @Test func inverseDocumentFrequency() {
        #expect(close(index.idf("renewal"), 0.6931471805599453))
        #expect(close(index.idf("cut"), 1.2039728043259361))
        #expect(close(BM25.inverseDocumentFrequency(documents: 10, containing: 1), 1.992430164690206))
        // Stays positive when every document holds the term: ln(1 + 0.5 / 4.5).
        #expect(close(BM25.inverseDocumentFrequency(documents: 4, containing: 4), 0.10536051565782635))
        // The rarer a term, the more it weighs.
        let idfs = (0...10).map { BM25.inverseDocumentFrequency(documents: 10, containing: $0) }
        #expect(zip(idfs, idfs.dropFirst()).allSatisfy { $0 > $1 })
        #expect(idfs.allSatisfy { $0 > 0 })
        // A term absent from the corpus has df 0.
        #expect(index.idf("absent") == BM25.inverseDocumentFrequency(documents: 4, containing: 0))
    }

    @Test func rankingOrder() {
        // A document holding both query terms beats those holding one; none of them scores for the unrelated one.
        let query = ["budget", "renewal"]
        let ranked = (0..<4).sorted { index.score(query, document: $0) > index.score(query, document: $1) }
        #expect(ranked == [0, 3, 1, 2])
        // Length normalisation: one `renewal` in a 1-term document beats two in a 3-term document.
        #expect(index.score(["renewal"], document: 3) > index.score(["renewal"], document: 0))
        // A rarer term scores more than a common one at the same count and length.
        #expect(index.score(["cut"], document: 1) > index.score(["budget"], document: 1))
    }

    @Test func tiesForIdenticalDocuments() {
        let twins = BM25(documents: [["churn", "risk"], ["risk", "churn"], ["renewal"]])
        #expect(twins.score(["churn"], document: 0) == twins.score(["churn"], document: 1))
        #expect(twins.score(["churn"], document: 0) > 0)
    }

    @Test func distinctQueryTermsCountOnce() {
        #expect(index.score(["renewal", "renewal", "budget", "renewal"], document: 0) == index.score(["renewal", "budget"], document: 0))
        #expect(BM25.distinct(["b", "a", "b", "c", "a"]) == ["b", "a", "c"])
        #expect(BM25.distinct([]) == [])
    }

    @Test func termsNotInTheDocumentAddNothing() {
        #expect(index.score(["renewal", "nothing"], document: 3) == index.score(["renewal"], document: 3))
        #expect(index.score([], document: 0) == 0)
    }

    @Test func emptyCorpusAndEmptyDocumentsScoreZero() {
        #expect(BM25(documents: []).score(["renewal"], document: 0) == 0)
        let empties = BM25(documents: [[], []])
        #expect(empties.score(["renewal"], document: 0) == 0)
        #expect(empties.score([], document: 1) == 0)
        // An empty document among others scores 0 (and so does an index out of range).
        let mixed = BM25(documents: [[], ["renewal"]])
        #expect(mixed.score(["renewal"], document: 0) == 0)
        #expect(mixed.score(["renewal"], document: 1) > 0)
        #expect(index.score(["renewal"], document: 4) == 0)
        #expect(index.score(["renewal"], document: -1) == 0)
    }

    @Test func termScoreSaturatesWithCount() {
        let idf = 2.0
        // tf = 1 at average length: idf exactly.
        #expect(BM25.termScore(idf: idf, count: 1, norm: 1) == idf)
        #expect(close(BM25.termScore(idf: idf, count: 2, norm: 1), idf * 2 * 2.2 / 3.2))
        let scores = [1, 2, 5, 50, 5000].map { BM25.termScore(idf: idf, count: $0, norm: 1) }
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 < $1 })
        #expect(scores.allSatisfy { $0 < idf * (BM25.k1 + 1) })
    }

    @Test func lengthNormAndAverageLength() {
        #expect(BM25.averageLength(documents: 0, terms: 0) == 0)
        #expect(BM25.averageLength(documents: 4, terms: 10) == 2.5)
        #expect(BM25.lengthNorm(length: 2, averageLength: 2) == 1)
        #expect(BM25.lengthNorm(length: 0, averageLength: 2) == 0.25)
        #expect(BM25.lengthNorm(length: 6, averageLength: 2) == 2.5)
    }

    @Test func unicodeTextScoresThroughTheTokenizer() {
        let texts = ["Zürich office opens", "zurich office", "Café budget"]
        let unicode = BM25(documents: texts.map(Tokenizer.terms))
        // "Zürich" is the terms `z` and `rich`: it never matches `zurich`.
        #expect(unicode.score(Tokenizer.terms("Zürich"), document: 0) > 0)
        #expect(unicode.score(Tokenizer.terms("Zürich"), document: 1) == 0)
        #expect(unicode.score(Tokenizer.terms("zurich"), document: 0) == 0)
        #expect(unicode.score(Tokenizer.terms("CAFÉ"), document: 2) > 0) // `caf`
    }
}
