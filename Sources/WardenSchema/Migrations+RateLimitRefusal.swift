extension Migrations {
    /// Migration 15: a refusal of `warden_take_tokens` names the limit of the bucket that refused (the one with the
    /// longest wait), not always the first bucket's. Before, a client refused by its own per-client limit of 2 was
    /// told `limit=600`, its tenant's. Otherwise the function is migration 3's.
    static let rateLimitRefusal = Migration(
        version: 15, name: "rate-limit refusals name the refusing bucket's limit",
        script: """
            CREATE OR REPLACE FUNCTION warden_take_tokens(keys text[], capacities double precision[], rates double precision[])
            RETURNS TABLE (bucket_limit double precision, remaining double precision, reset_ms bigint)
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
            DECLARE
              i int;
              t double precision;
              levels double precision[] := '{}';
              wait_ms bigint := 0;
              bucket_wait bigint;
              refusing int := 1;
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
                  bucket_wait := ceil((1 - t) / rates[i] * 1000)::bigint;
                  IF bucket_wait > wait_ms THEN
                    wait_ms := bucket_wait;
                    refusing := i;
                  END IF;
                END IF;
              END LOOP;
              IF wait_ms > 0 THEN
                RAISE EXCEPTION USING ERRCODE = 'WR429', MESSAGE = 'warden_rate_limited',
                  DETAIL = format('retry_after_ms=%s limit=%s', wait_ms, capacities[refusing]);
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
    )
}
