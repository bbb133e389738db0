public import Middleware
internal import Participants
internal import WardenJSON

/// The enrichment route handlers (functions/participants declares the routes): one participant or a batch of at
/// most 50, the job's state, the organization's budget. A request creates a job and runs its first attempt at once
/// when the organization has a free job slot (200); otherwise the job waits for the scheduled worker (202). Every
/// provider call is paid for from the budgets first.
///
/// The two enrich routes must be declared `atomic: false`: a request may call the provider between its statements,
/// and no transaction stays open while it does.
public struct EnrichmentRoutes {
    let enricher: Enricher

    /// Handlers sharing `enricher` (one per worker: it keeps the provider's connection).
    public init(enricher: Enricher) {
        self.enricher = enricher
    }

    /// `POST /api/participants/{id}/enrich` (no body, or `{}`): `{participant, job}`.
    public func enrichOne(_ call: RouteRequest) throws -> RouteResponse {
        let id = try ParticipantRoutes.participantID(call)
        if call.request.body?.isEmpty == false {
            guard try call.jsonBody().isEmpty else { throw EnvelopeError(.invalidInput, "The request body has an unknown field.") }
        }
        guard let erased = try ParticipantRoutes.isErased(id, session: call.session) else { throw ParticipantRoutes.notFound }
        guard !erased else {
            throw EnvelopeError(.conflict, "This participant was erased and can no longer be enriched.")
        }
        let (job, result) = try run(call, participants: [id])
        guard let participant = try ParticipantRoutes.participant(id, session: call.session) else { throw ParticipantRoutes.notFound }
        var response = RouteResponse(status: result.attempt > 0 ? 200 : 202, data: ["participant": participant, "job": job])
        response.budgetSpentCents = result.spentCents
        return response
    }

    /// `POST /api/participants/enrich` with `{"participantIds": [id, …]}` (1–50 distinct ids): `{job}`.
    public func enrichBatch(_ call: RouteRequest) throws -> RouteResponse {
        let ids = try Self.participantIDs(try call.jsonBody(), maxBatch: enricher.settings.maxBatch)
        let (job, result) = try run(call, participants: ids)
        var response = RouteResponse(status: result.attempt > 0 ? 200 : 202, data: ["job": job])
        response.budgetSpentCents = result.spentCents
        return response
    }

    /// The ids of a batch body, `{"participantIds": [id, …]}`: 1 to `maxBatch` distinct positive integers, and no
    /// other member; `INVALID_INPUT` names the first rule broken.
    static func participantIDs(_ body: JSONObject, maxBatch: Int) throws(EnvelopeError) -> [Int64] {
        try ParticipantInput.onlyKnown(body, ["participantIds"])
        guard let list = body["participantIds"]?.arrayValue else {
            throw EnvelopeError(.invalidInput, "participantIds must be an array of participant ids.")
        }
        guard !list.isEmpty else { throw EnvelopeError(.invalidInput, "participantIds must not be empty.") }
        guard list.count <= maxBatch else {
            throw EnvelopeError(.invalidInput, "A batch holds at most \(maxBatch) participants.")
        }
        var ids: [Int64] = []
        for item in list {
            guard case .int(let id) = item, id > 0 else {
                throw EnvelopeError(.invalidInput, "participantIds must be an array of participant ids.")
            }
            ids.append(id)
        }
        guard Set(ids).count == ids.count else { throw EnvelopeError(.invalidInput, "participantIds must be distinct.") }
        return ids
    }

    /// `GET /api/enrichment-jobs/{id}`: `{job}`; another organization's job is "not found".
    public func job(_ call: RouteRequest) throws -> RouteResponse {
        let notFound = EnvelopeError(.notFound, "No such enrichment job.")
        guard let text = call.pathParameters["id"], let id = ParticipantInput.decimal(text), id > 0 else { throw notFound }
        guard let job = try enricher.jobJSON(id, session: call.session) else { throw notFound }
        return RouteResponse(data: ["job": job])
    }

    /// `GET /api/enrichment/budget`: today's and this month's spending and limits.
    public func budget(_ call: RouteRequest) throws -> RouteResponse {
        RouteResponse(data: try enricher.budgetJSON(session: call.session))
    }

    /// Whether one call costing `cost` cents fits in both of `spending`'s periods (`Enricher.budgetJSON`): spent plus
    /// the cost at most the limit, the day's and the month's. A period without figures does not refuse.
    static func canPay(_ cost: Int64, from spending: JSON) -> Bool {
        for period in ["day", "month"] {
            if let spent = spending[period]?["spentCents"]?.int64Value, let limit = spending[period]?["limitCents"]?.int64Value,
                spent + cost > limit
            {
                return false
            }
        }
        return true
    }

    /// Refuses at once when the budget cannot pay for a single call, else creates the job and tries its first
    /// attempt. Returns the job's JSON and whether the attempt ran (`false`: queued behind the job limit).
    private func run(_ call: RouteRequest, participants: [Int64]) throws -> (JSON, Enricher.AttemptResult) {
        let exceeded = EnvelopeError(.budgetExceeded, "The organization's enrichment budget is spent; try again in the next period.")
        let spending = try enricher.budgetJSON(session: call.session)
        guard Self.canPay(Int64(enricher.settings.costCents), from: spending) else { throw exceeded }
        let requester: String
        switch call.principal {
        case .user(let user): requester = "user:" + user.subject
        case .apiKey(let key): requester = "key:" + key.keyID
        }
        let id = try enricher.createJob(call.session, requestedBy: requester, participants: participants)
        let result = try enricher.attempt(id, session: call.session, deadline: call.context.deadlineMilliseconds, logger: call.context.logger)
        // Raced to an empty budget between the check above and the first charge: nothing was spent.
        if result.budgetExceeded, result.calls == 0 { throw exceeded }
        guard let job = try enricher.jobJSON(id, session: call.session) else { throw EnvelopeError.toolFailure }
        return (job, result)
    }
}
