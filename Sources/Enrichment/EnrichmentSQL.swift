internal import Postgres

/// The statements of the enrichment flow. `$1` is always the organization (see `TenantSession`); the functions
/// they call are in migration 8.
enum EnrichmentSQL {
    /// A new job over participants `$3` (bigint[]) requested by `$2`.
    static let createJob = SQL("SELECT warden_enrichment_create_job($1, $2, $3::bigint[])")

    /// Claims the next attempt of job `$2` (limit `$3` running jobs, lease `$4` ms): the attempt number, 0 to wait.
    static let claim = SQL("SELECT warden_enrichment_claim($1, $2::bigint, $3::int, $4::int)")

    /// Pays for one call: job `$2`, participant `$3`, attempt `$4`, cost `$5`, daily `$6` and monthly `$7` budgets.
    static let charge = SQL("SELECT warden_enrichment_charge($1, $2::bigint, $3::bigint, $4::int, $5::int, $6::int, $7::int)")

    /// Records an answer: job `$2`, participant `$3`, outcome `$4`, source `$5`, cost `$6`, confidence `$7`, name `$8`.
    static let record = SQL(
        "SELECT warden_enrichment_record($1, $2::bigint, $3::bigint, $4, $5, $6::int, $7::float8, $8)"
    )

    /// Ends the attempt of job `$2`: `$3` attempts at most, back-off base `$4` ms, stop reason `$5` (or NULL).
    static let finish = SQL("SELECT warden_enrichment_finish($1, $2::bigint, $3::int, $4::int, $5)")

    /// The items of job `$2` still to do, with the participant's address and whether to skip it (erased, or enriched by
    /// another job since this one was created).
    static let pendingItems = SQL(
        """
        SELECT i.participant_id, p.email,
               p.enrichment_status = 'deleted' OR EXISTS (
                   SELECT 1 FROM participant_enrichment_history h
                   WHERE h.organization_id = i.organization_id AND h.participant_id = i.participant_id
                     AND h.outcome = 'enriched' AND h.created_at > j.created_at)
        FROM enrichment_job_items i
        JOIN enrichment_jobs j ON j.organization_id = i.organization_id AND j.id = i.job_id
        JOIN meeting_participants p ON p.organization_id = i.organization_id AND p.id = i.participant_id
        WHERE i.organization_id = $1 AND i.job_id = $2::bigint AND i.status = 'pending'
        ORDER BY i.participant_id
        """
    )

    /// Marks item `$3` of job `$2` skipped (its participant was erased, or enriched by another job since this one
    /// was created: it is not paid for twice).
    static let skipItem = SQL(
        "UPDATE enrichment_job_items SET status = 'skipped' WHERE organization_id = $1 AND job_id = $2::bigint AND participant_id = $3::bigint"
    )

    /// Job `$2` and its items: id, status, attempts, next attempt, created, updated, then `participant:status:cost`
    /// per item in participant order.
    static let job = SQL(
        #"""
        SELECT j.id, j.status, j.attempts,
               CASE WHEN j.status IN ('queued', 'retry')
                    THEN to_char(j.next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
               to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(j.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               (SELECT coalesce(array_agg(i.participant_id || ':' || i.status || ':' || i.cost_cents ORDER BY i.participant_id), '{}')
                FROM enrichment_job_items i WHERE i.organization_id = $1 AND i.job_id = j.id)::text
        FROM enrichment_jobs j
        WHERE j.organization_id = $1 AND j.id = $2::bigint
        """#
    )

    /// Today's and this month's spending (UTC): day start, day spent, month start, month spent.
    static let budget = SQL(
        """
        SELECT to_char(d, 'YYYY-MM-DD'), coalesce((SELECT spent_cents FROM enrichment_budgets
                 WHERE organization_id = $1 AND period = 'day' AND period_start = d), 0),
               to_char(m, 'YYYY-MM-DD'), coalesce((SELECT spent_cents FROM enrichment_budgets
                 WHERE organization_id = $1 AND period = 'month' AND period_start = m), 0)
        FROM (SELECT (clock_timestamp() AT TIME ZONE 'UTC')::date AS d,
                     date_trunc('month', clock_timestamp() AT TIME ZONE 'UTC')::date AS m) AS now
        """
    )

    /// Jobs due across organizations (worker only; called without a tenant): job id, organization.
    static let dueJobs = SQL("SELECT job_id, organization_id FROM warden_enrichment_due_jobs($1::int)")
}
