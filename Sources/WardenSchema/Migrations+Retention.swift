extension Migrations {
    /// Migration 10: the retention sweep (seeds 002 and 003; CONTRACTS.md §2, §3), run by `functions/retention`.
    ///
    /// `warden_retention_sweep(now, category, batch)` deletes or anonymizes at most `batch` rows of one category that
    /// have outlived their period as of `now`, in one statement (one transaction), and returns how many:
    ///
    /// - `queries`: `intent_queries` whose `expires_at` ≤ now (90 days after creation) — deleted;
    /// - `evidence`: `intent_evidence` observed more than 1 year before now — deleted; first, each affected company
    ///   whose `last_activity_at` is older than the newest deleted evidence is moved up to it, so deleting scoring
    ///   data never makes a company look older than it is;
    /// - `companies`: `intent_companies` without activity for 2 years — deleted. A company's activity is the newest
    ///   of its `created_at`, its `last_activity_at` (nullable; set here, and by whoever refreshes the company) and
    ///   its evidence's `observed_at`. A company with evidence left is never deleted: its evidence is then either
    ///   recent (so is the company) or still due to the `evidence` category, which runs first; so one statement never
    ///   cascades beyond its batch, and "deleted with their evidence" holds;
    /// - `participants`: `meeting_participants` whose `last_activity_at` is more than 90 days before now, not yet
    ///   erased — anonymized exactly as the GDPR erase (`email` and `display_name` `[deleted]`, `contact_id` NULL,
    ///   `enrichment_status` `deleted`, `updated_at` now); the row and its enrichment history stay (aggregates).
    ///
    /// "More than N before now" is strict: a row exactly 1 year, 2 years or 90 days old stays. Intervals are
    /// calendar intervals in UTC (the function sets its own `TimeZone`).
    ///
    /// Security: the function runs as its owner, the migrating role, which owns these tables; their row-level
    /// security is enabled but not forced, and its policies name `warden_fn` only, so the owner sees every
    /// organization. `row_security = off` turns the opposite case (tables owned by another role, or `FORCE ROW LEVEL
    /// SECURITY`) into an error instead of a sweep that silently sees nothing. Only `warden_fn` may execute it, and
    /// a clock in the future (beyond 5 minutes of skew) is refused, so a compromised function cannot use it to
    /// delete data before its time; an earlier clock only deletes less. Rows locked by someone else are skipped
    /// (`SKIP LOCKED`) and taken by the next batch or run.
    ///
    /// Migration 11 (`Migrations+Idempotency.swift`) replaces the function with the same body plus the category
    /// `idempotency`; change it there from now on.
    static let retention = Migration(
        version: 10, name: "retention sweep",
        script: """
            -- Activity of a company beyond its creation and its (retention-limited) evidence; NULL when none known.
            -- Nullable on purpose: a default of now() would restart every existing company's 2-year period.
            ALTER TABLE intent_companies ADD COLUMN IF NOT EXISTS last_activity_at timestamptz;

            -- The sweeps find their rows by these (intent_queries_expires_idx of migration 7 serves the queries),
            -- oldest first in index order; no tie-break, which would sort every row sharing the oldest timestamp.
            CREATE INDEX IF NOT EXISTS intent_evidence_retention_idx ON intent_evidence (observed_at);
            CREATE INDEX IF NOT EXISTS meeting_participants_retention_idx
              ON meeting_participants (last_activity_at) WHERE enrichment_status <> 'deleted';

            CREATE OR REPLACE FUNCTION warden_retention_sweep(p_now timestamptz, p_category text, p_batch int)
            RETURNS bigint
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = public, pg_temp
            SET row_security = off
            SET TimeZone = 'UTC'
            AS $f$
            DECLARE
              n bigint := 0;
            BEGIN
              IF p_now IS NULL OR NOT isfinite(p_now) OR p_now > now() + interval '5 minutes' THEN
                RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'warden_retention_invalid_clock';
              END IF;
              IF p_batch IS NULL OR p_batch < 1 OR p_batch > 10000 THEN
                RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'warden_retention_invalid_batch';
              END IF;
              CASE p_category
              WHEN 'queries' THEN
                WITH doomed AS (
                  SELECT id FROM intent_queries
                  WHERE expires_at <= p_now
                  ORDER BY expires_at LIMIT p_batch FOR UPDATE SKIP LOCKED
                )
                DELETE FROM intent_queries q USING doomed WHERE q.id = doomed.id;
                GET DIAGNOSTICS n = ROW_COUNT;
              WHEN 'evidence' THEN
                WITH doomed AS (
                  SELECT id, company_id, observed_at FROM intent_evidence
                  WHERE observed_at < p_now - interval '1 year'
                  ORDER BY observed_at LIMIT p_batch FOR UPDATE SKIP LOCKED
                ), newest AS (
                  SELECT company_id, max(observed_at) AS observed_at FROM doomed GROUP BY company_id
                ), remembered AS (
                  UPDATE intent_companies c SET last_activity_at = newest.observed_at
                  FROM newest
                  WHERE c.id = newest.company_id AND newest.observed_at > greatest(c.created_at, c.last_activity_at)
                  RETURNING c.id
                ), gone AS (
                  DELETE FROM intent_evidence e USING doomed WHERE e.id = doomed.id RETURNING e.id
                )
                SELECT count(*) INTO n FROM gone;
              WHEN 'companies' THEN
                WITH doomed AS (
                  SELECT c.id FROM intent_companies c
                  WHERE greatest(c.created_at, c.last_activity_at) < p_now - interval '2 years'
                    AND NOT EXISTS (
                      SELECT 1 FROM intent_evidence e WHERE e.organization_id = c.organization_id AND e.company_id = c.id
                    )
                  ORDER BY c.id LIMIT p_batch FOR UPDATE SKIP LOCKED
                )
                DELETE FROM intent_companies c USING doomed WHERE c.id = doomed.id;
                GET DIAGNOSTICS n = ROW_COUNT;
              WHEN 'participants' THEN
                WITH doomed AS (
                  SELECT id FROM meeting_participants
                  WHERE last_activity_at < p_now - interval '90 days' AND enrichment_status <> 'deleted'
                  ORDER BY last_activity_at LIMIT p_batch FOR UPDATE SKIP LOCKED
                )
                UPDATE meeting_participants p SET
                  email = '[deleted]',
                  display_name = '[deleted]',
                  contact_id = NULL,
                  enrichment_status = 'deleted',
                  updated_at = now()
                FROM doomed WHERE p.id = doomed.id;
                GET DIAGNOSTICS n = ROW_COUNT;
              ELSE
                RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'warden_retention_unknown_category';
              END CASE;
              RETURN n;
            END $f$;
            REVOKE ALL ON FUNCTION warden_retention_sweep(timestamptz, text, int) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION warden_retention_sweep(timestamptz, text, int) TO warden_fn;
            """
    )
}
