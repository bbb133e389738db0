internal import Middleware

/// Exact BM25 scores of a query over an organization's evidence, computed from the posting lists of the query's
/// own terms (`IntentSQL.postings`, migration 9) instead of from every evidence text.
///
/// Only evidence holding at least one query term can score above 0, and the posting lists give for each of them
/// what `BM25` needs: the term's count and the document's length, with `N`, the total length (hence `avgdl`) and
/// `df` (the length of a term's list) for the idf. The sum runs over the query's distinct terms in query order, one
/// term at a time, so every document adds the same terms in the same order as `BM25.score`: the scores are the
/// same bits as the scan strategy's.
struct PostingScores {
    /// Evidence rows of the organization (BM25's N).
    let documents: Int
    /// Terms over all of them (with N, the mean length).
    let terms: Int
    /// `intent_search_stats.version` when the postings were read.
    let version: Int64
    /// Evidence id → BM25 score, for the evidence scoring at least `threshold`.
    let relevant: [Int64: Double]

    /// Scores the distinct `queryTerms` from the `s` and `p` rows of `IntentSQL.postings` (others are ignored),
    /// keeping the evidence scoring at least `threshold`. Malformed rows are a failure of ours, not the caller's.
    init(rows: [[String?]], queryTerms: [String], threshold: Double) throws(EnvelopeError) {
        let failure = EnvelopeError(.toolFailure, "The query could not be scored.")
        var position: [String: Int] = [:]
        for (i, term) in queryTerms.enumerated() { position[term] = i }
        // Per query term: (evidence id, count, length) of each evidence holding it, flattened.
        var lists = [[Int]?](repeating: nil, count: queryTerms.count)
        var stats: (documents: Int, terms: Int, version: Int64)?
        for row in rows {
            guard row.count >= 7 else { throw failure }
            switch row[0] {
            case "s"?:
                guard let documents = row[1].flatMap({ Int($0) }), let terms = row[2].flatMap({ Int($0) }),
                    let version = row[3].flatMap({ Int64($0) }), stats == nil
                else { throw failure }
                stats = (documents, terms, version)
            case "p"?:
                guard let term = row[4], let index = position[term], lists[index] == nil,
                    let list = row[6].flatMap(Self.postings), !list.isEmpty
                else { throw failure }
                lists[index] = list
            default:
                continue
            }
        }
        guard let stats else { throw failure }
        documents = stats.documents
        terms = stats.terms
        version = stats.version
        let averageLength = BM25.averageLength(documents: documents, terms: terms)
        var low = Int.max, high = Int.min, total = 0
        for case let list? in lists {
            total += list.count / 3
            for j in stride(from: 0, to: list.count, by: 3) {
                low = min(low, list[j])
                high = max(high, list[j])
            }
        }
        guard total > 0, averageLength > 0 else {
            relevant = [:]
            return
        }
        let idf = lists.map {
            BM25.inverseDocumentFrequency(documents: stats.documents, containing: ($0?.count ?? 0) / 3)
        }
        // Sums per evidence id, term after term in query order: a flat array over the ids' range when it is dense
        // enough, else a dictionary.
        var found: [Int64: Double] = [:]
        let span = high - low + 1
        if span <= max(1 << 16, 16 * total), span <= 1 << 22 {
            var sums = [Double](repeating: 0, count: span)
            for (index, list) in lists.enumerated() {
                guard let list else { continue }
                for j in stride(from: 0, to: list.count, by: 3) {
                    let norm = BM25.lengthNorm(length: list[j + 2], averageLength: averageLength)
                    sums[list[j] - low] += BM25.termScore(idf: idf[index], count: list[j + 1], norm: norm)
                }
            }
            for (i, sum) in sums.enumerated() where sum >= threshold { found[Int64(low + i)] = sum }
        } else {
            var sums: [Int: Double] = [:]
            sums.reserveCapacity(total)
            for (index, list) in lists.enumerated() {
                guard let list else { continue }
                for j in stride(from: 0, to: list.count, by: 3) {
                    let norm = BM25.lengthNorm(length: list[j + 2], averageLength: averageLength)
                    sums[list[j], default: 0] += BM25.termScore(idf: idf[index], count: list[j + 1], norm: norm)
                }
            }
            for (id, sum) in sums where sum >= threshold { found[Int64(id)] = sum }
        }
        relevant = found
    }

    /// A term's postings as `IntentSQL.postings` sends them — chunks `id_base:postings` separated by `;`, each
    /// chunk's postings `offset,count,length` separated by single spaces — as flattened (evidence id, count,
    /// length) triples; `nil` for anything else (an id base that is not a multiple of 256, an offset outside
    /// 0–255, a count below 1, an empty chunk).
    static func postings(_ text: String) -> [Int]? {
        var text = text
        return text.withUTF8 { bytes -> [Int]? in
            var out: [Int] = []
            out.reserveCapacity(bytes.count / 3)
            var i = 0
            while i < bytes.count {
                guard let base = number(bytes, &i, digits: 18), base % 256 == 0, i < bytes.count, bytes[i] == 0x3A
                else { return nil }
                i += 1
                while true {
                    guard let offset = number(bytes, &i, digits: 3), offset < 256, i < bytes.count, bytes[i] == 0x2C
                    else { return nil }
                    i += 1
                    guard let count = number(bytes, &i, digits: 12), count > 0, i < bytes.count, bytes[i] == 0x2C
                    else { return nil }
                    i += 1
                    guard let length = number(bytes, &i, digits: 12) else { return nil }
                    out.append(base + offset)
                    out.append(count)
                    out.append(length)
                    guard i < bytes.count, bytes[i] == 0x20 else { break }
                    i += 1
                }
                guard i < bytes.count else { break }
                guard bytes[i] == 0x3B, i + 1 < bytes.count else { return nil }
                i += 1
            }
            return out
        }
    }

    /// The decimal number at `i` (at most `digits` digits), advancing `i` past it; `nil` if there is none.
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int, digits: Int) -> Int? {
        var value = 0, n = 0
        while i < bytes.count, n < digits {
            let digit = bytes[i] &- 0x30
            guard digit < 10 else { break }
            value = value * 10 + Int(digit)
            n += 1
            i += 1
        }
        return n > 0 ? value : nil
    }
}
