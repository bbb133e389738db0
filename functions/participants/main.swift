// The participant API (CONTRACTS.md §2): meeting participants of the caller's organization, with GDPR
// rectification, erasure and export, and enrichment through an HTTP provider within budgets. Every route takes a
// bearer JWT; the user's organization is the tenant. The routes that change data (`mutates: true`) honour
// `Idempotency-Key`. The handlers are the Participants and Enrichment libraries'.
import Enrichment
import HTTPAPI
import Middleware
import Participants

APIHandler.main(name: "participants") { _, secrets in
    let enrichment = EnrichmentRoutes(enricher: Enricher(settings: try .fromEnvironment(), secrets: secrets))
    return [
        APIRoute("GET", "/api/participants", .user, handler: ParticipantRoutes.list),
        APIRoute("POST", "/api/participants", .user, mutates: true, handler: ParticipantRoutes.create),
        APIRoute("PUT", "/api/participants/{id}", .user, mutates: true, handler: ParticipantRoutes.update),
        APIRoute("POST", "/api/participants/{id}/erase", .user, mutates: true, handler: ParticipantRoutes.erase),
        APIRoute("GET", "/api/participants/{id}/export", .user, handler: ParticipantRoutes.export),
        // Not atomic: a request may call the provider between its statements, and no transaction stays open while
        // it does.
        APIRoute("POST", "/api/participants/{id}/enrich", .user, mutates: true, atomic: false, handler: enrichment.enrichOne),
        APIRoute("POST", "/api/participants/enrich", .user, mutates: true, atomic: false, handler: enrichment.enrichBatch),
        APIRoute("GET", "/api/enrichment-jobs/{id}", .user, handler: enrichment.job),
        APIRoute("GET", "/api/enrichment/budget", .user, handler: enrichment.budget),
    ]
}
