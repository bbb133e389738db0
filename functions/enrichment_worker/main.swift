// The enrichment worker (seed 003): run by an EventBridge schedule (every minute), it takes up the enrichment jobs
// that wait — queued behind an organization's job limit, retries whose back-off has passed, attempts whose lease
// expired after a crash — and runs their next attempt, each in its organization's session, within the same budgets.
// The code is the Enrichment library's (Sources/Enrichment/EnrichmentWorker.swift).
import Enrichment

EnrichmentWorker.main()
