public import Postgres

/// One schema change, applied once, in order, inside a transaction.
public struct Migration: Sendable {
    /// Monotonic version number.
    public let version: Int
    /// Short description.
    public let name: String
    /// The literal script.
    public let script: StaticString
}

/// Warden's migrations. The copilot's tables belong to the front end's own migrations: ours create them only when
/// absent and otherwise add only what is missing, so they apply on top of a live front-end database.
public enum Migrations {
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "copilot tables",
            script: """
                CREATE TABLE IF NOT EXISTS companies (
                    id serial PRIMARY KEY,
                    external_id text NOT NULL,
                    name text NOT NULL,
                    owner_user_id text NOT NULL,
                    created_at timestamp NOT NULL DEFAULT now(),
                    updated_at timestamp NOT NULL DEFAULT now()
                );
                ALTER TABLE companies ADD COLUMN IF NOT EXISTS owner_user_id text NOT NULL DEFAULT 'public';
                ALTER TABLE companies ADD COLUMN IF NOT EXISTS created_at timestamp NOT NULL DEFAULT now();
                ALTER TABLE companies ADD COLUMN IF NOT EXISTS updated_at timestamp NOT NULL DEFAULT now();
                -- Its unique index on (owner_user_id, external_id), and one on messages, come with migration 14,
                -- which first looks for an equivalent index of the front end's own.

                CREATE TABLE IF NOT EXISTS contracts (
                    company_external_id text NOT NULL,
                    owner_user_id text NOT NULL,
                    renewal_date timestamp,
                    arr integer NOT NULL DEFAULT 0,
                    PRIMARY KEY (owner_user_id, company_external_id)
                );
                ALTER TABLE contracts ADD COLUMN IF NOT EXISTS renewal_date timestamp;
                ALTER TABLE contracts ADD COLUMN IF NOT EXISTS arr integer NOT NULL DEFAULT 0;

                CREATE TABLE IF NOT EXISTS usage_summaries (
                    company_external_id text NOT NULL,
                    owner_user_id text NOT NULL,
                    trend text NOT NULL DEFAULT 'flat',
                    avg_daily_users integer NOT NULL DEFAULT 0,
                    sparkline jsonb NOT NULL DEFAULT '[]'::jsonb,
                    PRIMARY KEY (owner_user_id, company_external_id)
                );
                ALTER TABLE usage_summaries ADD COLUMN IF NOT EXISTS trend text NOT NULL DEFAULT 'flat';
                ALTER TABLE usage_summaries ADD COLUMN IF NOT EXISTS avg_daily_users integer NOT NULL DEFAULT 0;
                ALTER TABLE usage_summaries ADD COLUMN IF NOT EXISTS sparkline jsonb NOT NULL DEFAULT '[]'::jsonb;

                CREATE TABLE IF NOT EXISTS ticket_summaries (
                    company_external_id text NOT NULL,
                    owner_user_id text NOT NULL,
                    open_tickets integer NOT NULL DEFAULT 0,
                    recent_tickets jsonb NOT NULL DEFAULT '[]'::jsonb,
                    PRIMARY KEY (owner_user_id, company_external_id)
                );
                ALTER TABLE ticket_summaries ADD COLUMN IF NOT EXISTS open_tickets integer NOT NULL DEFAULT 0;
                ALTER TABLE ticket_summaries ADD COLUMN IF NOT EXISTS recent_tickets jsonb NOT NULL DEFAULT '[]'::jsonb;

                CREATE TABLE IF NOT EXISTS messages (
                    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                    company_external_id text NOT NULL,
                    owner_user_id text NOT NULL,
                    role text NOT NULL,
                    content text NOT NULL DEFAULT '',
                    result_json jsonb,
                    task_id uuid,
                    hidden boolean NOT NULL DEFAULT false,
                    created_at timestamp NOT NULL DEFAULT now()
                );
                """
        ),
        Migration(
            version: 2, name: "functions role, row-level security, audit events",
            script: """
                -- The functions connect as a login role that is a member of warden_fn: it owns nothing, reads the
                -- copilot tables only through row-level security, and may only append audit events.
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'warden_fn') THEN
                    CREATE ROLE warden_fn NOLOGIN;
                  END IF;
                END $$;

                GRANT USAGE ON SCHEMA public TO warden_fn;
                GRANT SELECT ON companies, contracts, usage_summaries, ticket_summaries, messages TO warden_fn;

                ALTER TABLE companies ENABLE ROW LEVEL SECURITY;
                ALTER TABLE contracts ENABLE ROW LEVEL SECURITY;
                ALTER TABLE usage_summaries ENABLE ROW LEVEL SECURITY;
                ALTER TABLE ticket_summaries ENABLE ROW LEVEL SECURITY;
                ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
                DROP POLICY IF EXISTS warden_tenant ON companies;
                DROP POLICY IF EXISTS warden_tenant ON contracts;
                DROP POLICY IF EXISTS warden_tenant ON usage_summaries;
                DROP POLICY IF EXISTS warden_tenant ON ticket_summaries;
                DROP POLICY IF EXISTS warden_tenant ON messages;
                CREATE POLICY warden_tenant ON companies TO warden_fn
                  USING (owner_user_id = current_setting('app.tenant_id', true))
                  WITH CHECK (owner_user_id = current_setting('app.tenant_id', true));
                CREATE POLICY warden_tenant ON contracts TO warden_fn
                  USING (owner_user_id = current_setting('app.tenant_id', true))
                  WITH CHECK (owner_user_id = current_setting('app.tenant_id', true));
                CREATE POLICY warden_tenant ON usage_summaries TO warden_fn
                  USING (owner_user_id = current_setting('app.tenant_id', true))
                  WITH CHECK (owner_user_id = current_setting('app.tenant_id', true));
                CREATE POLICY warden_tenant ON ticket_summaries TO warden_fn
                  USING (owner_user_id = current_setting('app.tenant_id', true))
                  WITH CHECK (owner_user_id = current_setting('app.tenant_id', true));
                CREATE POLICY warden_tenant ON messages TO warden_fn
                  USING (owner_user_id = current_setting('app.tenant_id', true))
                  WITH CHECK (owner_user_id = current_setting('app.tenant_id', true));

                CREATE TABLE IF NOT EXISTS audit_events (
                    id bigserial PRIMARY KEY,
                    occurred_at timestamptz NOT NULL DEFAULT now(),
                    request_id text NOT NULL,
                    client_id text,
                    tenant text,
                    tool text NOT NULL,
                    action text NOT NULL,
                    outcome text NOT NULL,
                    status integer NOT NULL
                );
                CREATE INDEX IF NOT EXISTS audit_events_occurred_idx ON audit_events (occurred_at);
                REVOKE ALL ON audit_events FROM PUBLIC;
                GRANT INSERT ON audit_events TO warden_fn;
                GRANT USAGE ON SEQUENCE audit_events_id_seq TO warden_fn;
                CREATE OR REPLACE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN
                  RAISE EXCEPTION 'audit_events is append-only';
                END $f$;
                DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;
                CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
                  FOR EACH ROW EXECUTE FUNCTION warden_audit_append_only();
                """
        ),
        Migration(
            version: 3, name: "replay protection and rate limits",
            script: """
                -- Each signature (v1) or client nonce (v2) is recorded once; the insert fails on a replay, across
                -- every function and instance. Rows expire after the ±5-minute window.
                CREATE TABLE IF NOT EXISTS request_nonces (
                    key text PRIMARY KEY,
                    expires_at timestamptz NOT NULL
                );
                CREATE INDEX IF NOT EXISTS request_nonces_expires_idx ON request_nonces (expires_at);
                REVOKE ALL ON request_nonces FROM PUBLIC;
                GRANT INSERT, SELECT, DELETE ON request_nonces TO warden_fn;

                -- Token buckets, one row per key; only warden_take_tokens touches them.
                CREATE TABLE IF NOT EXISTS rate_buckets (
                    key text PRIMARY KEY,
                    tokens double precision NOT NULL,
                    updated_at timestamptz NOT NULL
                );
                REVOKE ALL ON rate_buckets FROM PUBLIC;

                -- Takes one token from every bucket in `keys` (capacity and refill per second alongside), all or
                -- nothing, in one statement: the row locks serialise concurrent callers, so N parallel callers
                -- against a limit of M are admitted exactly M times per window. Refused: SQLSTATE WR429 with the
                -- wait in the message. Admitted: the tightest bucket's limit, remaining tokens and full-refill time.
                CREATE OR REPLACE FUNCTION warden_take_tokens(keys text[], capacities double precision[], rates double precision[])
                RETURNS TABLE (bucket_limit double precision, remaining double precision, reset_ms bigint)
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
                DECLARE
                  i int;
                  t double precision;
                  levels double precision[] := '{}';
                  wait_ms bigint := 0;
                  tight int := 1;
                BEGIN
                  FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
                    INSERT INTO rate_buckets AS b (key, tokens, updated_at) VALUES (keys[i], capacities[i], clock_timestamp())
                    ON CONFLICT (key) DO UPDATE
                      SET tokens = least(capacities[i], b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at) * rates[i]),
                          updated_at = clock_timestamp()
                    RETURNING b.tokens INTO t;
                    levels := levels || t;
                    IF t < 1 THEN
                      wait_ms := greatest(wait_ms, ceil((1 - t) / rates[i] * 1000)::bigint);
                    END IF;
                  END LOOP;
                  IF wait_ms > 0 THEN
                    RAISE EXCEPTION USING ERRCODE = 'WR429', MESSAGE = 'warden_rate_limited',
                      DETAIL = format('retry_after_ms=%s limit=%s', wait_ms, capacities[1]);
                  END IF;
                  FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
                    UPDATE rate_buckets SET tokens = levels[i] - 1 WHERE key = keys[i];
                    IF levels[i] - 1 < levels[tight] - 1 THEN tight := i; END IF;
                  END LOOP;
                  IF coalesce(array_length(keys, 1), 0) = 0 THEN RETURN; END IF;
                  RETURN QUERY SELECT capacities[tight], levels[tight] - 1,
                    ceil((capacities[tight] - (levels[tight] - 1)) / rates[tight] * 1000)::bigint;
                END $f$;
                REVOKE ALL ON FUNCTION warden_take_tokens(text[], double precision[], double precision[]) FROM PUBLIC;
                GRANT EXECUTE ON FUNCTION warden_take_tokens(text[], double precision[], double precision[]) TO warden_fn;
                """
        ),
        Migration(
            version: 4, name: "per-tenant concurrency slots",
            script: """
                -- Requests in flight per tenant, across every instance. A slot expires at its invocation's deadline,
                -- so an instance that died cannot hold it.
                CREATE TABLE IF NOT EXISTS inflight_requests (
                    tenant text NOT NULL,
                    request_id text NOT NULL,
                    expires_at timestamptz NOT NULL,
                    PRIMARY KEY (tenant, request_id)
                );
                REVOKE ALL ON inflight_requests FROM PUBLIC;

                CREATE OR REPLACE FUNCTION warden_acquire_slot(p_tenant text, p_request text, p_limit int, p_ttl_ms bigint)
                RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
                DECLARE n int;
                BEGIN
                  PERFORM pg_advisory_xact_lock(hashtextextended('warden_slot:' || p_tenant, 0));
                  DELETE FROM inflight_requests WHERE tenant = p_tenant AND expires_at < clock_timestamp();
                  SELECT count(*) INTO n FROM inflight_requests WHERE tenant = p_tenant;
                  IF n >= p_limit THEN
                    RAISE EXCEPTION USING ERRCODE = 'WR430', MESSAGE = 'warden_too_many_concurrent',
                      DETAIL = format('limit=%s', p_limit);
                  END IF;
                  INSERT INTO inflight_requests VALUES (p_tenant, p_request, clock_timestamp() + make_interval(secs => p_ttl_ms / 1000.0))
                  ON CONFLICT DO NOTHING;
                END $f$;

                CREATE OR REPLACE FUNCTION warden_release_slot(p_tenant text, p_request text)
                RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
                  DELETE FROM inflight_requests WHERE tenant = p_tenant AND request_id = p_request;
                $f$;
                REVOKE ALL ON FUNCTION warden_acquire_slot(text, text, int, bigint) FROM PUBLIC;
                REVOKE ALL ON FUNCTION warden_release_slot(text, text) FROM PUBLIC;
                GRANT EXECUTE ON FUNCTION warden_acquire_slot(text, text, int, bigint) TO warden_fn;
                GRANT EXECUTE ON FUNCTION warden_release_slot(text, text) TO warden_fn;
                """
        ),
        Migration(
            version: 5, name: "organizations for JWT users, API keys with roles",
            script: """
                -- A JWT's `sub` (the user id) maps to the one organization that scopes the call.
                CREATE TABLE IF NOT EXISTS organization_members (
                    user_id text PRIMARY KEY,
                    organization_id text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                );
                REVOKE ALL ON organization_members FROM PUBLIC;
                CREATE OR REPLACE FUNCTION warden_user_organization(p_user text) RETURNS text
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
                  SELECT organization_id FROM organization_members WHERE user_id = p_user;
                $f$;
                REVOKE ALL ON FUNCTION warden_user_organization(text) FROM PUBLIC;
                GRANT EXECUTE ON FUNCTION warden_user_organization(text) TO warden_fn;

                -- API keys: only a SHA-256 of the whole key is stored, found by its public prefix. Revoking sets
                -- revoked_at; every call looks the key up again, so it takes effect on the next call.
                CREATE TABLE IF NOT EXISTS api_keys (
                    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                    prefix text NOT NULL UNIQUE,
                    secret_hash bytea NOT NULL,
                    tenant text NOT NULL,
                    roles text[] NOT NULL DEFAULT '{}',
                    description text NOT NULL DEFAULT '',
                    created_at timestamptz NOT NULL DEFAULT now(),
                    revoked_at timestamptz
                );
                REVOKE ALL ON api_keys FROM PUBLIC;
                CREATE OR REPLACE FUNCTION warden_lookup_api_key(p_prefix text)
                RETURNS TABLE (key_id uuid, secret_hash text, tenant text, roles text[], revoked boolean)
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
                  SELECT id, encode(secret_hash, 'hex'), tenant, roles, revoked_at IS NOT NULL FROM api_keys WHERE prefix = p_prefix;
                $f$;
                REVOKE ALL ON FUNCTION warden_lookup_api_key(text) FROM PUBLIC;
                GRANT EXECUTE ON FUNCTION warden_lookup_api_key(text) TO warden_fn;
                """
        ),
        Migration(
            version: 6, name: "meeting participants and their enrichment history",
            script: """
                -- Participants of an organization's meetings (CONTRACTS.md §2). GDPR erasure overwrites email and
                -- display name with '[deleted]' and keeps the row, so the functions may not DELETE. Uniqueness of
                -- (organization, meeting, email) holds among rows not erased: several erased participants of one
                -- meeting all read '[deleted]'.
                CREATE TABLE IF NOT EXISTS meeting_participants (
                    id bigserial PRIMARY KEY,
                    organization_id text NOT NULL,
                    meeting_id text NOT NULL,
                    meeting_title text,
                    meeting_date_time timestamptz,
                    meeting_platform text,
                    email text NOT NULL,
                    display_name text,
                    response_status text,
                    is_organizer boolean NOT NULL DEFAULT false,
                    is_optional boolean NOT NULL DEFAULT false,
                    contact_id text,
                    enrichment_status text NOT NULL DEFAULT 'pending'
                      CHECK (enrichment_status IN ('pending', 'matched', 'enriched', 'unknown', 'deleted')),
                    enrichment_source text,
                    auto_match_confidence double precision,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    last_activity_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE UNIQUE INDEX IF NOT EXISTS meeting_participants_org_meeting_email_uq
                  ON meeting_participants (organization_id, meeting_id, email) WHERE enrichment_status <> 'deleted';
                CREATE INDEX IF NOT EXISTS meeting_participants_org_id_idx ON meeting_participants (organization_id, id DESC);
                CREATE INDEX IF NOT EXISTS meeting_participants_activity_idx ON meeting_participants (last_activity_at);

                CREATE TABLE IF NOT EXISTS participant_enrichment_history (
                    id bigserial PRIMARY KEY,
                    organization_id text NOT NULL,
                    participant_id bigint NOT NULL REFERENCES meeting_participants (id) ON DELETE CASCADE,
                    source text,
                    cost_cents integer NOT NULL DEFAULT 0,
                    outcome text,
                    created_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX IF NOT EXISTS participant_enrichment_history_participant_idx
                  ON participant_enrichment_history (organization_id, participant_id, id);
                CREATE INDEX IF NOT EXISTS participant_enrichment_history_cost_idx
                  ON participant_enrichment_history (organization_id, created_at);

                REVOKE ALL ON meeting_participants, participant_enrichment_history FROM PUBLIC;
                GRANT SELECT, INSERT, UPDATE ON meeting_participants, participant_enrichment_history TO warden_fn;
                GRANT USAGE ON SEQUENCE meeting_participants_id_seq, participant_enrichment_history_id_seq TO warden_fn;

                ALTER TABLE meeting_participants ENABLE ROW LEVEL SECURITY;
                ALTER TABLE participant_enrichment_history ENABLE ROW LEVEL SECURITY;
                DROP POLICY IF EXISTS warden_tenant ON meeting_participants;
                DROP POLICY IF EXISTS warden_tenant ON participant_enrichment_history;
                CREATE POLICY warden_tenant ON meeting_participants TO warden_fn
                  USING (organization_id = current_setting('app.tenant_id', true))
                  WITH CHECK (organization_id = current_setting('app.tenant_id', true));
                CREATE POLICY warden_tenant ON participant_enrichment_history TO warden_fn
                  USING (organization_id = current_setting('app.tenant_id', true))
                  WITH CHECK (organization_id = current_setting('app.tenant_id', true));
                """
        ),
        Migration(
            version: 7, name: "intent scoring: companies, evidence and queries",
            script: """
                -- B2B intent scoring (seed 002): an organization's target companies, the dated evidence texts the
                -- query is scored against (BM25), and the query texts asked, kept 90 days (`expires_at`; a retention
                -- job deletes expired rows). The functions read companies and evidence and insert queries; the
                -- SELECT on queries serves `INSERT … RETURNING id` only, under the same row-level security.
                CREATE TABLE IF NOT EXISTS intent_companies (
                    id bigserial PRIMARY KEY,
                    organization_id text NOT NULL,
                    name text NOT NULL,
                    domain text,
                    industry text,
                    size_band text,
                    region text,
                    churn_signal boolean NOT NULL DEFAULT false,
                    job_posting boolean NOT NULL DEFAULT false,
                    created_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX IF NOT EXISTS intent_companies_org_idx ON intent_companies (organization_id, id);

                CREATE TABLE IF NOT EXISTS intent_evidence (
                    id bigserial PRIMARY KEY,
                    organization_id text NOT NULL,
                    company_id bigint NOT NULL REFERENCES intent_companies (id) ON DELETE CASCADE,
                    observed_at timestamptz NOT NULL,
                    text text NOT NULL
                );
                CREATE INDEX IF NOT EXISTS intent_evidence_org_company_idx ON intent_evidence (organization_id, company_id);

                CREATE TABLE IF NOT EXISTS intent_queries (
                    id bigserial PRIMARY KEY,
                    organization_id text NOT NULL,
                    query_text text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL DEFAULT now() + interval '90 days'
                );
                CREATE INDEX IF NOT EXISTS intent_queries_expires_idx ON intent_queries (expires_at);

                REVOKE ALL ON intent_companies, intent_evidence, intent_queries FROM PUBLIC;
                GRANT SELECT ON intent_companies, intent_evidence TO warden_fn;
                GRANT SELECT, INSERT ON intent_queries TO warden_fn;
                GRANT USAGE ON SEQUENCE intent_queries_id_seq TO warden_fn;

                ALTER TABLE intent_companies ENABLE ROW LEVEL SECURITY;
                ALTER TABLE intent_evidence ENABLE ROW LEVEL SECURITY;
                ALTER TABLE intent_queries ENABLE ROW LEVEL SECURITY;
                DROP POLICY IF EXISTS warden_tenant ON intent_companies;
                DROP POLICY IF EXISTS warden_tenant ON intent_evidence;
                DROP POLICY IF EXISTS warden_tenant ON intent_queries;
                CREATE POLICY warden_tenant ON intent_companies TO warden_fn
                  USING (organization_id = current_setting('app.tenant_id', true))
                  WITH CHECK (organization_id = current_setting('app.tenant_id', true));
                CREATE POLICY warden_tenant ON intent_evidence TO warden_fn
                  USING (organization_id = current_setting('app.tenant_id', true))
                  WITH CHECK (organization_id = current_setting('app.tenant_id', true));
                CREATE POLICY warden_tenant ON intent_queries TO warden_fn
                  USING (organization_id = current_setting('app.tenant_id', true))
                  WITH CHECK (organization_id = current_setting('app.tenant_id', true));
                """
        ),
        enrichment,
        intentSearch,
        retention,
        idempotency,
        enrichmentRetry,
        emailFolding,
        frontEndTables,
        rateLimitRefusal,
    ]

    /// Applies every migration not yet recorded in `warden_schema_migrations`, each in its own transaction,
    /// under an advisory lock so concurrent runs serialize. Returns the versions applied.
    @discardableResult
    public static func apply(to database: Database) throws(PostgresError) -> [Int] {
        try database.runScript(
            """
            SET client_min_messages = warning;
            CREATE TABLE IF NOT EXISTS warden_schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            SELECT pg_advisory_lock(727274);
            """
        )
        defer { try? database.runScript("SELECT pg_advisory_unlock(727274);") }
        let done = try database.administrativeExecute(SQL("SELECT version FROM warden_schema_migrations"))
        let applied = Set(done.rows.compactMap { $0.first.flatMap { $0 }.flatMap { Int($0) } })
        var newlyApplied: [Int] = []
        for migration in all where !applied.contains(migration.version) {
            try database.runScript("BEGIN;")
            do {
                try database.runScript(migration.script)
                _ = try database.administrativeExecute(
                    SQL("INSERT INTO warden_schema_migrations (version, name) VALUES ($1::int, $2)"),
                    [.int(Int64(migration.version)), .text(migration.name)]
                )
                try database.runScript("COMMIT;")
            } catch {
                try? database.runScript("ROLLBACK;")
                throw error
            }
            newlyApplied.append(migration.version)
        }
        return newlyApplied
    }
}
