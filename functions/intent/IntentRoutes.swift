internal import Middleware
internal import Postgres
internal import WardenJSON

/// The route handler: validates the body, records the query and loads the organization's companies and evidence
/// in one statement, scores them with `IntentModel` and answers the top `limit`.
enum IntentRoutes {
    /// `POST /v1/intent/score`.
    @Sendable static func score(_ call: RouteRequest) throws -> RouteResponse {
        let input = try ScoreRequest(try call.jsonBody())
        let rows = try call.session.query(IntentSQL.scoreAndRecord, [.text(input.query)])
        guard let queryID = rows.first?.first.flatMap({ $0 }).flatMap({ Int64($0) }) else {
            throw EnvelopeError(.toolFailure, "The query could not be recorded.")
        }
        let companies = companies(rows.rows)
        let ranked = IntentModel.rank(companies, query: input.query, filters: input.filters)
        return RouteResponse(data: [
            "results": .array(ranked.prefix(input.limit).map(json)),
            "query": ["id": .int(queryID)],
        ])
    }

    /// Groups the rows of `IntentSQL.scoreAndRecord` (ordered by company id) into companies.
    static func companies(_ rows: [[String?]]) -> [IntentModel.Company] {
        var companies: [IntentModel.Company] = []
        for row in rows {
            func at(_ i: Int) -> String? { i < row.count ? row[i] : nil }
            guard let id = at(1).flatMap({ Int64($0) }), let name = at(2) else { continue }
            if companies.last?.id != id {
                companies.append(
                    IntentModel.Company(
                        id: id, name: name, domain: at(3), industry: at(4), sizeBand: at(5), region: at(6),
                        churnSignal: at(7) == "t", jobPosting: at(8) == "t", evidence: []
                    )
                )
            }
            if let evidenceID = at(9).flatMap({ Int64($0) }), let observedAt = at(10),
                let age = at(11).flatMap({ Double($0) }), let text = at(12), !companies.isEmpty
            {
                companies[companies.count - 1].evidence.append(
                    IntentModel.Evidence(id: evidenceID, observedAt: observedAt, ageDays: age, text: text)
                )
            }
        }
        return companies
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
