public import Middleware
internal import Platform
internal import Postgres
internal import WardenJSON

/// The route handler of the intent-scoring API (functions/intent): validates the body, scores the organization's
/// companies for the query with `IntentModel`, records the query and answers the top `limit`.
public enum IntentRoutes {
    /// How the evidence is scored; both give the same answer.
    enum Strategy: Sendable {
        /// From the posting lists of the query's terms (migration 9): the default.
        case index
        /// From every evidence text of the organization, indexed in memory on each call: the original
        /// implementation, kept as the reference and the benchmark's baseline (`INTENT_SCORING=scan`).
        case scan
    }

    /// `INTENT_SCORING`: `scan` for the reference strategy, anything else (or unset) for the index.
    static let strategy: Strategy = Platform.environment("INTENT_SCORING") == "scan" ? .scan : .index

    /// Attempts of the index strategy before it records the query even though the evidence keeps changing.
    static let attempts = 3

    /// `POST /v1/intent/score`: the companies of the caller's organization ranked for the body's query and filters
    /// (`ScoreRequest`), with the recorded query's id. The query is recorded, so the route is to be declared mutating.
    @Sendable public static func score(_ call: RouteRequest) throws -> RouteResponse {
        let input = try ScoreRequest(try call.jsonBody())
        let (queryID, ranked) =
            switch strategy {
            case .index: try indexed(input, call.session)
            case .scan: try scanned(input, call.session)
            }
        return RouteResponse(data: [
            "results": .array(ranked.prefix(input.limit).map(json)),
            "query": ["id": .int(queryID)],
        ])
    }

    /// The index strategy: BM25 from the query terms' postings and the comparisons SQL leaves to Swift (one
    /// statement), then the relevant evidence, the candidate companies and the query record (a second one). When
    /// the data changed in between (the statistics' version moved, or a company value appeared that Swift has not
    /// judged), the second statement records nothing and both run again, so the answer is that of one state of the
    /// data; the last attempt records regardless.
    static func indexed(_ input: ScoreRequest, _ session: TenantSession) throws -> (Int64, [IntentModel.Result]) {
        let terms = BM25.distinct(Tokenizer.terms(input.query))
        let filters = input.filters
        func optional(_ text: String?) -> PGValue { text.map(PGValue.text) ?? .null }
        for attempt in 1...attempts {
            let step1 = try session.query(
                IntentSQL.postings,
                [.textArray(terms), optional(filters.industry), optional(filters.size), optional(filters.region)]
            )
            let scores = try PostingScores(
                rows: step1.rows, queryTerms: terms, threshold: IntentModel.relevanceThreshold)
            let judged = JudgedValues(rows: step1.rows, filters: filters)
            let rows = try session.query(
                IntentSQL.rankAndRecord,
                [
                    .text(input.query), .bool(attempt == attempts), .int(scores.version),
                    .textArray(scores.relevant.keys.sorted().map { String($0) }),
                    optional(filters.industry), optional(filters.size), optional(filters.region),
                    .int(Int64(input.limit)),
                    .textArray(judged.industry.matches), .textArray(judged.industry.all),
                    .textArray(judged.size.matches), .textArray(judged.size.all),
                    .textArray(judged.region.matches), .textArray(judged.region.all),
                ]
            )
            guard let recorded = rows.rows.first(where: { $0.first == "q" }), recorded.count > 1,
                let queryID = recorded[1].flatMap({ Int64($0) })
            else { continue }
            return (queryID, IntentModel.rank(candidates(rows.rows, scores.relevant), filters: filters))
        }
        throw EnvelopeError(.toolFailure, "The query could not be recorded.")
    }

    /// The companies of the `c` rows of `IntentSQL.rankAndRecord`, each once, with their evidence of the `e` rows
    /// scored from `bm25` (an item whose company is not among them, in another organization, is left out).
    static func candidates(_ rows: [[String?]], _ bm25: [Int64: Double]) -> [IntentModel.Company] {
        var companies: [IntentModel.Company] = []
        var index: [Int64: Int] = [:]
        for row in rows where row.first == "c" {
            guard let company = company(row, from: 1), index[company.id] == nil else { continue }
            index[company.id] = companies.count
            companies.append(company)
        }
        for row in rows where row.first == "e" {
            guard row.count > 1, let id = row[1].flatMap({ Int64($0) }), let i = index[id],
                let evidence = evidence(row, from: 9, bm25: bm25)
            else { continue }
            companies[i].evidence.append(evidence)
        }
        return companies
    }

    /// The scan strategy: every company and evidence text of the organization (one statement, which also records
    /// the query), indexed and scored in memory.
    static func scanned(_ input: ScoreRequest, _ session: TenantSession) throws -> (Int64, [IntentModel.Result]) {
        let rows = try session.query(IntentSQL.scan, [.text(input.query)])
        guard let queryID = rows.first?.first.flatMap({ $0 }).flatMap({ Int64($0) }) else {
            throw EnvelopeError(.toolFailure, "The query could not be recorded.")
        }
        // Rows come ordered by company id: one company per run of rows, one document per evidence row.
        var companies: [IntentModel.Company] = []
        var texts: [String] = []
        for row in rows.rows {
            guard let company = company(row, from: 1) else { continue }
            if companies.last?.id != company.id { companies.append(company) }
            if let text = row.count > 12 ? row[12] : nil, let evidence = evidence(row, from: 9, bm25: [:]) {
                companies[companies.count - 1].evidence.append(evidence)
                texts.append(text)
            }
        }
        let terms = Tokenizer.terms(input.query)
        let index = BM25(documents: texts.map(Tokenizer.terms))
        var position = 0
        for c in companies.indices {
            for e in companies[c].evidence.indices {
                let item = companies[c].evidence[e]
                companies[c].evidence[e] = IntentModel.Evidence(
                    id: item.id, observedAt: item.observedAt, ageDays: item.ageDays,
                    bm25: index.score(terms, document: position))
                position += 1
            }
        }
        return (queryID, IntentModel.rank(companies, filters: input.filters))
    }

    /// The company in columns `start…start + 7` of a row (id, name, domain, industry, size band, region, churn
    /// signal, job posting), without evidence; `nil` when the row has none.
    static func company(_ row: [String?], from start: Int) -> IntentModel.Company? {
        func at(_ i: Int) -> String? { start + i < row.count ? row[start + i] : nil }
        guard let id = at(0).flatMap({ Int64($0) }), let name = at(1) else { return nil }
        return IntentModel.Company(
            id: id, name: name, domain: at(2), industry: at(3), sizeBand: at(4), region: at(5),
            churnSignal: at(6) == "t", jobPosting: at(7) == "t", evidence: []
        )
    }

    /// The evidence in columns `start…start + 2` of a row (id, observed at, age in days) with its score from `bm25`
    /// (0 when absent); `nil` when the row has none.
    static func evidence(_ row: [String?], from start: Int, bm25: [Int64: Double]) -> IntentModel.Evidence? {
        func at(_ i: Int) -> String? { start + i < row.count ? row[start + i] : nil }
        guard let id = at(0).flatMap({ Int64($0) }), let observedAt = at(1), let age = at(2).flatMap({ Double($0) })
        else { return nil }
        return IntentModel.Evidence(id: id, observedAt: observedAt, ageDays: age, bm25: bm25[id] ?? 0)
    }

    /// One result as JSON, numbers rounded to two decimals.
    static func json(_ result: IntentModel.Result) -> JSON {
        let r = IntentModel.rounded
        return [
            "companyId": .int(result.company.id),
            "name": .string(result.company.name),
            "domain": result.company.domain.map(JSON.string) ?? .null,
            "fit": .double(r(result.fit)),
            "intent": .double(r(result.intent)),
            "final": .double(r(result.final)),
            "evidence": .array(
                result.evidence.map { item in
                    [
                        "id": .int(item.evidence.id), "observedAt": .string(item.evidence.observedAt),
                        "bm25": .double(r(item.bm25)), "weight": .double(r(item.weight)),
                    ]
                }
            ),
        ]
    }
}
