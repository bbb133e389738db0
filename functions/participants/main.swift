// The participant API (CONTRACTS.md §2): meeting participants of the caller's organization, with GDPR
// rectification, erasure and export, and enrichment through an HTTP provider within budgets. Every route takes a
// bearer JWT; the user's organization is the tenant. The routes that change data (`mutates: true`) honour
// `Idempotency-Key`.
import Enrichment
import HTTPAPI
import Middleware
import Participants

APIHandler.main(name: "participants") { _, secrets in
    let enrichment = EnrichmentRoutes(enricher: Enricher(settings: .fromEnvironment(), secrets: secrets))
    return [
        APIRoute("GET", "/api/participants", .user, handler: ParticipantRoutes.list),
        APIRoute("POST", "/api/participants", .user, mutates: true, handler: ParticipantRoutes.create),
        APIRoute("PUT", "/api/participants/{id}", .user, mutates: true, handler: ParticipantRoutes.update),
        APIRoute("POST", "/api/participants/{id}/erase", .user, mutates: true, handler: ParticipantRoutes.erase),
        APIRoute("GET", "/api/participants/{id}/export", .user, handler: ParticipantRoutes.export),
    ] + enrichment.all
}
