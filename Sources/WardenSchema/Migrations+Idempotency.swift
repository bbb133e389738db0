extension Migrations {
    /// Migration 11: idempotency keys for the HTTP APIs' mutating routes (`Idempotency-Key`, see
    /// `Sources/Middleware/Idempotency.swift`).
    ///
    /// - `idempotency_keys`: one row per (organization, key). While the first attempt runs, `status` and `response`
    ///   are NULL and `expires_at` is that invocation's deadline (a crashed attempt frees the key then); once it has
    ///   answered 2xx, the row holds the status, the envelope body byte for byte and the stored headers, and expires
    ///   `IDEMPOTENCY_TTL_SECONDS` (24 h by default) later. Row-level security like every tenant table; the functions'
    ///   role reads and writes it only for the organization of its session.
    /// - `warden_idempotency_begin(org, key, fingerprint, request, ttl_ms)` reserves the key in front of the route's
    ///   first statement (same pipeline, same transaction: a concurrent duplicate waits for that transaction and then
    ///   sees the reservation). It sets the tenant itself, so it works under row-level security, and refuses with
    ///   SQLSTATE `WR208` (completed with the same fingerprint: replay it), `WR409` (same key, other request) or
    ///   `WR425` (the first attempt is still running). An expired row is removed and the key reserved afresh.
    /// - Erasure (GDPR, and the retention sweep's anonymization) also scrubs stored responses that carry the erased
    ///   participant, so a replay never brings the personal data back.
    /// - `warden_retention_sweep` (migration 10) gains the category `idempotency`: rows expired as of both the
    ///   schedule's clock and the database's (a clock up to 5 minutes ahead never frees a key early).
    static let idempotency = Migration(
        version: 11, name: "idempotency keys",
        script: """
            CREATE TABLE IF NOT EXISTS idempotency_keys (
                organization_id text NOT NULL,
                key text NOT NULL CHECK (key ~ '^[ -~]{1,255}$'),
                fingerprint text NOT NULL,
                request_id text NOT NULL,
                status integer CHECK (status BETWEEN 200 AND 299),
                response text,
                headers text,
                created_at timestamptz NOT NULL DEFAULT now(),
                completed_at timestamptz,
                expires_at timestamptz NOT NULL,
                PRIMARY KEY (organization_id, key),
                CHECK ((status IS NULL) = (response IS NULL))
            );
            CREATE INDEX IF NOT EXISTS idempotency_keys_expires_idx ON idempotency_keys (expires_at);
            REVOKE ALL ON idempotency_keys FROM PUBLIC;
            GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO warden_fn;
            ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS warden_tenant ON idempotency_keys;
            CREATE POLICY warden_tenant ON idempotency_keys TO warden_fn
              USING (organization_id = current_setting('app.tenant_id', true))
              WITH CHECK (organization_id = current_setting('app.tenant_id', true));

            CREATE OR REPLACE FUNCTION warden_idempotency_begin(
                p_org text, p_key text, p_fingerprint text, p_request text, p_ttl_ms bigint
            ) RETURNS void
            LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              existing idempotency_keys%ROWTYPE;
            BEGIN
              IF coalesce(p_org, '') = '' THEN
                RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'warden_idempotency_no_tenant';
              END IF;
              PERFORM set_config('app.tenant_id', p_org, true);
              FOR attempt IN 1 .. 3 LOOP
                DELETE FROM idempotency_keys
                WHERE organization_id = p_org AND key = p_key AND expires_at <= clock_timestamp();
                INSERT INTO idempotency_keys (organization_id, key, fingerprint, request_id, expires_at)
                VALUES (p_org, p_key, p_fingerprint, p_request,
                        clock_timestamp() + make_interval(secs => greatest(p_ttl_ms, 1000) / 1000.0))
                ON CONFLICT (organization_id, key) DO NOTHING;
                IF FOUND THEN
                  RETURN;
                END IF;
                SELECT * INTO existing FROM idempotency_keys
                WHERE organization_id = p_org AND key = p_key AND expires_at > clock_timestamp();
                IF FOUND THEN
                  IF existing.fingerprint <> p_fingerprint THEN
                    RAISE EXCEPTION USING ERRCODE = 'WR409', MESSAGE = 'warden_idempotency_mismatch';
                  ELSIF existing.status IS NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'WR425', MESSAGE = 'warden_idempotency_in_progress';
                  ELSE
                    RAISE EXCEPTION USING ERRCODE = 'WR208', MESSAGE = 'warden_idempotency_replay';
                  END IF;
                END IF;
                -- The row expired or was released in between: reserve again.
              END LOOP;
              RAISE EXCEPTION USING ERRCODE = 'WR425', MESSAGE = 'warden_idempotency_in_progress';
            END $f$;
            REVOKE ALL ON FUNCTION warden_idempotency_begin(text, text, text, text, bigint) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION warden_idempotency_begin(text, text, text, text, bigint) TO warden_fn;

            -- A stored response that carries a participant just erased (API erase or retention anonymization) gets
            -- the same markers as the row: a replay must not bring the personal data back. Matched by the
            -- participant's id in `data` (create, rectify) or `data.participant` (enrich one).
            CREATE OR REPLACE FUNCTION warden_idempotency_forget_erased() RETURNS trigger
            LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              markers constant jsonb := '{"email": "[deleted]", "displayName": "[deleted]", "contactId": null, "enrichmentStatus": "deleted"}';
            BEGIN
              IF NOT EXISTS (
                SELECT 1 FROM erased_new n JOIN erased_old o ON o.id = n.id
                WHERE n.enrichment_status = 'deleted' AND o.enrichment_status <> 'deleted'
              ) THEN
                RETURN NULL;
              END IF;
              UPDATE idempotency_keys k SET response = (
                  CASE WHEN k.response::jsonb #>> '{data,id}' = e.id::text
                    THEN jsonb_set(k.response::jsonb, '{data}', (k.response::jsonb -> 'data') || markers)
                    ELSE jsonb_set(k.response::jsonb, '{data,participant}', (k.response::jsonb #> '{data,participant}') || markers)
                  END)::text
              FROM (
                SELECT n.organization_id, n.id FROM erased_new n JOIN erased_old o ON o.id = n.id
                WHERE n.enrichment_status = 'deleted' AND o.enrichment_status <> 'deleted'
              ) e
              WHERE k.organization_id = e.organization_id AND k.response IS NOT NULL
                AND e.id::text IN (k.response::jsonb #>> '{data,id}', k.response::jsonb #>> '{data,participant,id}');
              RETURN NULL;
            END $f$;
            DROP TRIGGER IF EXISTS meeting_participants_forget_idempotent_responses ON meeting_participants;
            CREATE TRIGGER meeting_participants_forget_idempotent_responses AFTER UPDATE ON meeting_participants
              REFERENCING OLD TABLE AS erased_old NEW TABLE AS erased_new
              FOR EACH STATEMENT EXECUTE FUNCTION warden_idempotency_forget_erased();

            -- Migration 10's sweep, plus the category `idempotency`.
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
              WHEN 'idempotency' THEN
                WITH doomed AS (
                  SELECT organization_id, key FROM idempotency_keys
                  WHERE expires_at <= least(p_now, now())
                  ORDER BY expires_at LIMIT p_batch FOR UPDATE SKIP LOCKED
                )
                DELETE FROM idempotency_keys k USING doomed
                WHERE k.organization_id = doomed.organization_id AND k.key = doomed.key;
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
