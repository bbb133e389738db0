internal import Postgres

/// The statements of the intent API. `$1` is the caller's organization (bound by `TenantSession`); row-level
/// security enforces the same scope again.
enum IntentSQL {
    /// Records the query text `$2` and, in the same statement (one transaction), loads every company of the
    /// organization with its evidence: one row per evidence item (a company without evidence: one row with NULL
    /// evidence columns; no company at all: one row holding only the query id). Columns: query id, company id,
    /// name, domain, industry, size band, region, churn signal, job posting, evidence id, observed at (ISO 8601
    /// UTC), age in days by the server's clock, evidence text.
    static let scoreAndRecord = SQL(
        #"""
        WITH q AS (
            INSERT INTO intent_queries (organization_id, query_text) VALUES ($1, $2::text) RETURNING id
        )
        SELECT q.id, c.id, c.name, c.domain, c.industry, c.size_band, c.region, c.churn_signal, c.job_posting,
               e.id, to_char(e.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               (extract(epoch FROM now() - e.observed_at) / 86400)::float8, e.text
        FROM q
        LEFT JOIN intent_companies AS c ON c.organization_id = $1
        LEFT JOIN intent_evidence AS e ON e.organization_id = $1 AND e.company_id = c.id
        ORDER BY c.id, e.id
        """#
    )
}
