// The intent-scoring API (seed 002): B2B companies of the caller's organization ranked by fit to the filters and
// by intent (BM25 of the query over their recent evidence). API keys with the role `intent:score` only. Scoring
// records the query (kept 90 days), so the route counts as mutating: an `Idempotency-Key` replays the first answer
// instead of recording the query again.
import Intent
import HTTPAPI
import Middleware

APIHandler.main(name: "intent") { _, _ in
    [APIRoute("POST", "/v1/intent/score", .apiKey(role: "intent:score"), mutates: true, handler: IntentRoutes.score)]
}
