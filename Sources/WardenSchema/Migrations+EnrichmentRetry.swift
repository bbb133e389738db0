extension Migrations {
    /// Migration 12: a retried enrich request finds its job instead of paying again.
    ///
    /// `warden_enrichment_create_job` returns the organization's live job (queued, waiting for a retry, or running)
    /// over exactly the same participants instead of creating a second one, under a per-organization advisory lock so
    /// two identical requests at once find each other's job. A caller whose enrich call died (a crash, Lambda's
    /// timeout) and who retries it — with its `Idempotency-Key` after the dead call's reservation expired, or
    /// without one — thus gets the first job back: it runs once its lease ends, and the provider is paid once more
    /// at most, never twice. (Items whose participant another job enriched in the meantime are skipped, see
    /// `EnrichmentSQL.pendingItems`.)
    static let enrichmentRetry = Migration(
        version: 12, name: "enrichment jobs found again by a retried request",
        script: """
            CREATE OR REPLACE FUNCTION warden_enrichment_create_job(p_org text, p_user text, p_ids bigint[])
            RETURNS bigint LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
            DECLARE
              found_count integer;
              job bigint;
              wanted bigint[] := ARRAY(SELECT DISTINCT x FROM unnest(p_ids) AS x ORDER BY x);
            BEGIN
              SELECT count(*) INTO found_count FROM meeting_participants
                WHERE organization_id = p_org AND id = ANY (p_ids);
              IF found_count <> cardinality(p_ids) THEN
                RAISE EXCEPTION USING ERRCODE = 'WR404', MESSAGE = 'warden_no_such_participant';
              END IF;
              PERFORM pg_advisory_xact_lock(hashtextextended('warden-enrichment-create:' || p_org, 0));
              SELECT j.id INTO job FROM enrichment_jobs j
                WHERE j.organization_id = p_org AND j.status IN ('queued', 'retry', 'running')
                  AND ARRAY(SELECT i.participant_id FROM enrichment_job_items i
                            WHERE i.organization_id = p_org AND i.job_id = j.id ORDER BY i.participant_id) = wanted
                ORDER BY j.id LIMIT 1;
              IF job IS NOT NULL THEN
                RETURN job;
              END IF;
              INSERT INTO enrichment_jobs (organization_id, requested_by) VALUES (p_org, p_user) RETURNING id INTO job;
              INSERT INTO enrichment_job_items (job_id, organization_id, participant_id, status)
                SELECT job, p_org, p.id, CASE WHEN p.enrichment_status = 'deleted' THEN 'skipped' ELSE 'pending' END
                FROM meeting_participants p WHERE p.organization_id = p_org AND p.id = ANY (p_ids);
              RETURN job;
            END $f$;
            """
    )
}
