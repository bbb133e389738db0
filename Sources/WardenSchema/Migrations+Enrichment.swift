extension Migrations {
    /// Migration 8: enrichment jobs and their items, the append-only cost ledger and the per-organization budget
    /// counters, with the functions that claim a job slot, charge the budget and close an attempt atomically.
    static let enrichment = Migration(
        version: 8, name: "enrichment jobs, ledger and budgets",
        script: """
            -- Participant enrichment (seed 003). One job per enrich request (a single participant or a batch of at
            -- most 50); each attempt of a job processes its pending items. At most N jobs of an organization are
            -- `running` at once (a lease bounds a crashed attempt); the others wait `queued` or `retry` for the
            -- scheduled worker. Every provider call is paid for before it is made: the charge adds to the day's and
            -- the month's counters only when both stay within their budgets, and appends the ledger row, in one
            -- transaction — concurrent callers serialise on the counter rows, so the ledger never exceeds a budget.
            CREATE TABLE IF NOT EXISTS enrichment_jobs (
                id bigserial PRIMARY KEY,
                organization_id text NOT NULL,
                requested_by text NOT NULL,
                status text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'retry', 'succeeded', 'failed')),
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL DEFAULT now(),
                lease_until timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS enrichment_jobs_org_status_idx ON enrichment_jobs (organization_id, status);
            CREATE INDEX IF NOT EXISTS enrichment_jobs_due_idx ON enrichment_jobs (next_attempt_at)
              WHERE status IN ('queued', 'retry', 'running');

            CREATE TABLE IF NOT EXISTS enrichment_job_items (
                job_id bigint NOT NULL REFERENCES enrichment_jobs (id) ON DELETE CASCADE,
                organization_id text NOT NULL,
                participant_id bigint NOT NULL REFERENCES meeting_participants (id) ON DELETE CASCADE,
                status text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'enriched', 'unknown', 'failed', 'budget_exceeded', 'skipped')),
                cost_cents integer NOT NULL DEFAULT 0 CHECK (cost_cents >= 0),
                PRIMARY KEY (job_id, participant_id)
            );
            CREATE INDEX IF NOT EXISTS enrichment_job_items_participant_idx
              ON enrichment_job_items (organization_id, participant_id);

            -- The ledger outlives the participants it paid for (no foreign key): budgets and invoices need it.
            CREATE TABLE IF NOT EXISTS enrichment_ledger (
                id bigserial PRIMARY KEY,
                organization_id text NOT NULL,
                job_id bigint NOT NULL,
                participant_id bigint NOT NULL,
                attempt integer NOT NULL,
                cost_cents integer NOT NULL CHECK (cost_cents >= 0),
                charged_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS enrichment_ledger_org_time_idx ON enrichment_ledger (organization_id, charged_at);

            CREATE TABLE IF NOT EXISTS enrichment_budgets (
                organization_id text NOT NULL,
                period text NOT NULL CHECK (period IN ('day', 'month')),
                period_start date NOT NULL,
                spent_cents integer NOT NULL DEFAULT 0 CHECK (spent_cents >= 0),
                PRIMARY KEY (organization_id, period, period_start)
            );

            REVOKE ALL ON enrichment_jobs, enrichment_job_items, enrichment_ledger, enrichment_budgets FROM PUBLIC;
            GRANT SELECT, INSERT, UPDATE ON enrichment_jobs, enrichment_job_items, enrichment_budgets TO warden_fn;
            GRANT SELECT, INSERT ON enrichment_ledger TO warden_fn;
            GRANT USAGE ON SEQUENCE enrichment_jobs_id_seq, enrichment_ledger_id_seq TO warden_fn;
            CREATE OR REPLACE FUNCTION warden_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
              RAISE EXCEPTION 'enrichment_ledger is append-only';
            END $f$;
            DROP TRIGGER IF EXISTS enrichment_ledger_append_only ON enrichment_ledger;
            CREATE TRIGGER enrichment_ledger_append_only BEFORE UPDATE ON enrichment_ledger
              FOR EACH ROW EXECUTE FUNCTION warden_ledger_append_only();

            ALTER TABLE enrichment_jobs ENABLE ROW LEVEL SECURITY;
            ALTER TABLE enrichment_job_items ENABLE ROW LEVEL SECURITY;
            ALTER TABLE enrichment_ledger ENABLE ROW LEVEL SECURITY;
            ALTER TABLE enrichment_budgets ENABLE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS warden_tenant ON enrichment_jobs;
            DROP POLICY IF EXISTS warden_tenant ON enrichment_job_items;
            DROP POLICY IF EXISTS warden_tenant ON enrichment_ledger;
            DROP POLICY IF EXISTS warden_tenant ON enrichment_budgets;
            CREATE POLICY warden_tenant ON enrichment_jobs TO warden_fn
              USING (organization_id = current_setting('app.tenant_id', true))
              WITH CHECK (organization_id = current_setting('app.tenant_id', true));
            CREATE POLICY warden_tenant ON enrichment_job_items TO warden_fn
              USING (organization_id = current_setting('app.tenant_id', true))
              WITH CHECK (organization_id = current_setting('app.tenant_id', true));
            CREATE POLICY warden_tenant ON enrichment_ledger TO warden_fn
              USING (organization_id = current_setting('app.tenant_id', true))
              WITH CHECK (organization_id = current_setting('app.tenant_id', true));
            CREATE POLICY warden_tenant ON enrichment_budgets TO warden_fn
              USING (organization_id = current_setting('app.tenant_id', true))
              WITH CHECK (organization_id = current_setting('app.tenant_id', true));

            -- A new job over `p_ids` (live participants of the organization; erased ones become `skipped`
            -- items). SQLSTATE WR404 when an id is not the organization's.
            CREATE OR REPLACE FUNCTION warden_enrichment_create_job(p_org text, p_user text, p_ids bigint[])
            RETURNS bigint LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              found_count integer;
              job bigint;
            BEGIN
              SELECT count(*) INTO found_count FROM meeting_participants
                WHERE organization_id = p_org AND id = ANY (p_ids);
              IF found_count <> cardinality(p_ids) THEN
                RAISE EXCEPTION USING ERRCODE = 'WR404', MESSAGE = 'warden_no_such_participant';
              END IF;
              INSERT INTO enrichment_jobs (organization_id, requested_by) VALUES (p_org, p_user) RETURNING id INTO job;
              INSERT INTO enrichment_job_items (job_id, organization_id, participant_id, status)
                SELECT job, p_org, p.id, CASE WHEN p.enrichment_status = 'deleted' THEN 'skipped' ELSE 'pending' END
                FROM meeting_participants p WHERE p.organization_id = p_org AND p.id = ANY (p_ids);
              RETURN job;
            END $f$;

            -- Starts the next attempt of job `p_job` when it is due and the organization has fewer than `p_limit`
            -- other jobs running (an expired lease no longer counts). Returns the attempt number, 0 when it must
            -- wait. The advisory lock serialises the count-then-claim per organization.
            CREATE OR REPLACE FUNCTION warden_enrichment_claim(p_org text, p_job bigint, p_limit integer, p_lease_ms integer)
            RETURNS integer LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              running integer;
              attempt integer;
            BEGIN
              PERFORM pg_advisory_xact_lock(hashtextextended('warden-enrichment:' || p_org, 0));
              SELECT count(*) INTO running FROM enrichment_jobs
                WHERE organization_id = p_org AND status = 'running' AND lease_until > clock_timestamp() AND id <> p_job;
              IF running >= p_limit THEN
                RETURN 0;
              END IF;
              UPDATE enrichment_jobs SET status = 'running', attempts = attempts + 1, updated_at = clock_timestamp(),
                  lease_until = clock_timestamp() + make_interval(secs => p_lease_ms / 1000.0)
                WHERE organization_id = p_org AND id = p_job
                  AND ((status IN ('queued', 'retry') AND next_attempt_at <= clock_timestamp())
                       OR (status = 'running' AND lease_until <= clock_timestamp()))
                RETURNING attempts INTO attempt;
              RETURN coalesce(attempt, 0);
            END $f$;

            -- Pays `p_cost` cents for one provider call: both the day's and the month's counters (UTC) must stay
            -- within their budgets, else SQLSTATE WR402 and nothing changes. Appends the ledger row and adds the cost
            -- to the job item. Counter rows are always locked day first, then month: no deadlock between callers.
            CREATE OR REPLACE FUNCTION warden_enrichment_charge(p_org text, p_job bigint, p_participant bigint,
                p_attempt integer, p_cost integer, p_daily integer, p_monthly integer)
            RETURNS bigint LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              today date := (clock_timestamp() AT TIME ZONE 'UTC')::date;
              month_start date := date_trunc('month', (clock_timestamp() AT TIME ZONE 'UTC'))::date;
              entry bigint;
            BEGIN
              INSERT INTO enrichment_budgets (organization_id, period, period_start) VALUES (p_org, 'day', today)
                ON CONFLICT DO NOTHING;
              INSERT INTO enrichment_budgets (organization_id, period, period_start) VALUES (p_org, 'month', month_start)
                ON CONFLICT DO NOTHING;
              UPDATE enrichment_budgets SET spent_cents = spent_cents + p_cost
                WHERE organization_id = p_org AND period = 'day' AND period_start = today AND spent_cents + p_cost <= p_daily;
              IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'WR402', MESSAGE = 'warden_budget_exceeded', DETAIL = 'period=day';
              END IF;
              UPDATE enrichment_budgets SET spent_cents = spent_cents + p_cost
                WHERE organization_id = p_org AND period = 'month' AND period_start = month_start
                  AND spent_cents + p_cost <= p_monthly;
              IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'WR402', MESSAGE = 'warden_budget_exceeded', DETAIL = 'period=month';
              END IF;
              INSERT INTO enrichment_ledger (organization_id, job_id, participant_id, attempt, cost_cents)
                VALUES (p_org, p_job, p_participant, p_attempt, p_cost) RETURNING id INTO entry;
              UPDATE enrichment_job_items SET cost_cents = cost_cents + p_cost
                WHERE organization_id = p_org AND job_id = p_job AND participant_id = p_participant;
              RETURN entry;
            END $f$;

            -- Records one provider answer for a participant: the history row (source, cost, outcome) always; on
            -- `enriched`/`unknown` also the item and the participant (unless erased meanwhile: then the item is
            -- `skipped` and the participant untouched).
            CREATE OR REPLACE FUNCTION warden_enrichment_record(p_org text, p_job bigint, p_participant bigint,
                p_outcome text, p_source text, p_cost integer, p_confidence double precision, p_display_name text)
            RETURNS text LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              live boolean;
              item_status text;
            BEGIN
              SELECT enrichment_status <> 'deleted' INTO live FROM meeting_participants
                WHERE organization_id = p_org AND id = p_participant FOR UPDATE;
              INSERT INTO participant_enrichment_history (organization_id, participant_id, source, cost_cents, outcome)
                VALUES (p_org, p_participant, p_source, p_cost, p_outcome);
              IF NOT coalesce(live, false) THEN
                item_status := 'skipped';
              ELSIF p_outcome IN ('enriched', 'unknown') THEN
                item_status := p_outcome;
                UPDATE meeting_participants SET
                    enrichment_status = p_outcome,
                    enrichment_source = p_source,
                    auto_match_confidence = p_confidence,
                    display_name = coalesce(display_name, p_display_name),
                    updated_at = now()
                  WHERE organization_id = p_org AND id = p_participant;
              ELSE
                RETURN 'pending';
              END IF;
              UPDATE enrichment_job_items SET status = item_status
                WHERE organization_id = p_org AND job_id = p_job AND participant_id = p_participant;
              RETURN item_status;
            END $f$;

            -- Ends the current attempt of job `p_job`: items still pending are retried after `p_base_ms` ×
            -- 2^(attempts − 1) while attempts < `p_max_attempts`, else they fail; `p_stop_reason` = 'budget' marks
            -- them `budget_exceeded` at once (a budget refusal is not retried). Returns the job's new status.
            CREATE OR REPLACE FUNCTION warden_enrichment_finish(p_org text, p_job bigint, p_max_attempts integer,
                p_base_ms integer, p_stop_reason text)
            RETURNS text LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              done_attempts integer;
              pending integer;
              lost integer;
              new_status text;
            BEGIN
              SELECT attempts INTO done_attempts FROM enrichment_jobs
                WHERE organization_id = p_org AND id = p_job FOR UPDATE;
              IF p_stop_reason = 'budget' THEN
                UPDATE enrichment_job_items SET status = 'budget_exceeded'
                  WHERE organization_id = p_org AND job_id = p_job AND status = 'pending';
              END IF;
              SELECT count(*) FILTER (WHERE status = 'pending'),
                     count(*) FILTER (WHERE status IN ('failed', 'budget_exceeded'))
                INTO pending, lost
                FROM enrichment_job_items WHERE organization_id = p_org AND job_id = p_job;
              IF pending > 0 AND done_attempts < p_max_attempts THEN
                new_status := 'retry';
                UPDATE enrichment_jobs SET status = new_status, lease_until = NULL, updated_at = clock_timestamp(),
                    next_attempt_at = clock_timestamp()
                      + make_interval(secs => p_base_ms / 1000.0 * power(2, greatest(done_attempts - 1, 0)))
                  WHERE organization_id = p_org AND id = p_job;
                RETURN new_status;
              END IF;
              IF pending > 0 THEN
                UPDATE enrichment_job_items SET status = 'failed'
                  WHERE organization_id = p_org AND job_id = p_job AND status = 'pending';
                lost := lost + pending;
              END IF;
              new_status := CASE WHEN lost > 0 THEN 'failed' ELSE 'succeeded' END;
              UPDATE enrichment_jobs SET status = new_status, lease_until = NULL, updated_at = clock_timestamp()
                WHERE organization_id = p_org AND id = p_job;
              RETURN new_status;
            END $f$;

            -- The worker's view across organizations: jobs due now (queued or retry whose time has come, running
            -- ones whose lease expired), oldest first. SECURITY DEFINER: it returns ids only; the worker then works
            -- on each job in its organization's session, under row-level security.
            CREATE OR REPLACE FUNCTION warden_enrichment_due_jobs(p_limit integer)
            RETURNS TABLE (job_id bigint, organization_id text)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
              SELECT j.id, j.organization_id FROM enrichment_jobs j
              WHERE (j.status IN ('queued', 'retry') AND j.next_attempt_at <= clock_timestamp())
                 OR (j.status = 'running' AND j.lease_until <= clock_timestamp())
              ORDER BY j.next_attempt_at, j.id
              LIMIT p_limit
            $f$;
            REVOKE ALL ON FUNCTION warden_enrichment_due_jobs(integer) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION warden_enrichment_due_jobs(integer) TO warden_fn;
            """
    )
}
