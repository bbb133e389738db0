// The intent-scoring API (seed 002): B2B companies of the caller's organization ranked by fit to the filters and
// by intent (BM25 of the query over their recent evidence). API keys with the role `intent:score` only.
import Middleware

APIHandler.main(name: "intent", routes: [
    APIRoute("POST", "/v1/intent/score", .apiKey(role: "intent:score"), handler: IntentRoutes.score),
])
