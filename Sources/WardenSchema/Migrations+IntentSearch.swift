extension Migrations {
    /// Migration 9: what intent scoring needs to score a query without reading every evidence text of the
    /// organization (`functions/intent`, `IntentSQL.swift`).
    ///
    /// - Each evidence row carries its terms, tokenized exactly as `Tokenizer.terms` in Swift (lower-cased maximal
    ///   runs of ASCII letters and digits; every other character, any non-ASCII one included, separates terms):
    ///   `search_terms` (distinct, sorted), `search_counts` (occurrences, aligned) and `search_length` (all terms,
    ///   duplicates included). A BEFORE trigger computes them from `text` on every insert and update, so nobody can
    ///   store anything else.
    /// - `intent_search_postings` is an inverted index per organization: for each term, the evidence holding it,
    ///   in chunks of 256 consecutive evidence ids (`id_base`, a multiple of 256). `postings` lists one evidence per
    ///   space-separated `offset,count,length` (id − id_base, the term's occurrences, the evidence's length in
    ///   terms): plain text, so reading it costs PostgreSQL a copy, not a conversion per number. A query reads the
    ///   rows of its own terms only (a primary-key range scan, usable under row-level security), and the function
    ///   computes BM25 from them exactly.
    /// - `intent_search_stats` holds per organization the number of evidence rows and their total length (BM25's N
    ///   and average length) and a `version` raised by every change to them, which lets the function check that
    ///   nothing changed between its two statements.
    ///
    /// Statement-level triggers keep both tables exact for whoever writes `intent_evidence` (the schema owner seeding,
    /// a retention sweep deleting, a company's cascade): they run as the owner (SECURITY DEFINER) and aggregate a
    /// whole statement's rows, upserting in key order. Terms longer than 500 bytes (longer than any query) count in
    /// the length but are not indexed. Evidence must belong to its company's organization (checked when a row is
    /// inserted or moved: the scan strategy reads evidence through its company, the index by organization).
    ///
    /// The function role only reads the new tables, under the same row-level security as the others.
    static let intentSearch = Migration(
        version: 9, name: "intent search index",
        script: """
            ALTER TABLE intent_evidence ADD COLUMN IF NOT EXISTS search_terms text[] NOT NULL DEFAULT '{}';
            ALTER TABLE intent_evidence ADD COLUMN IF NOT EXISTS search_counts integer[] NOT NULL DEFAULT '{}';
            ALTER TABLE intent_evidence ADD COLUMN IF NOT EXISTS search_length integer NOT NULL DEFAULT 0;

            -- Tokenizer.terms in SQL: only A-Z are lower-cased (lower() would also fold non-ASCII letters, some of
            -- them to ASCII, such as the Kelvin sign), and any character outside a-z0-9 separates.
            CREATE OR REPLACE FUNCTION intent_terms(p_text text) RETURNS text[]
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
              SELECT array_remove(regexp_split_to_array(
                translate(p_text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),
                '[^abcdefghijklmnopqrstuvwxyz0123456789]+'), '')
            $f$;

            CREATE OR REPLACE FUNCTION intent_evidence_terms() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
            DECLARE
              terms text[] := intent_terms(NEW.text);
            BEGIN
              IF (TG_OP = 'INSERT'
                  OR (NEW.organization_id, NEW.company_id) IS DISTINCT FROM (OLD.organization_id, OLD.company_id))
                 AND NEW.organization_id IS DISTINCT FROM
                   (SELECT organization_id FROM intent_companies WHERE id = NEW.company_id) THEN
                RAISE EXCEPTION USING ERRCODE = '23514',
                  MESSAGE = 'intent_evidence: organization_id differs from the company''s';
              END IF;
              NEW.search_length := cardinality(terms);
              SELECT coalesce(array_agg(t.term ORDER BY t.term), '{}'),
                     coalesce(array_agg(t.n ORDER BY t.term), '{}')
                INTO NEW.search_terms, NEW.search_counts
                FROM (SELECT term, count(*)::integer AS n FROM unnest(terms) AS term
                      WHERE octet_length(term) <= 500 GROUP BY term) AS t;
              RETURN NEW;
            END $f$;
            DROP TRIGGER IF EXISTS intent_evidence_terms ON intent_evidence;
            CREATE TRIGGER intent_evidence_terms BEFORE INSERT OR UPDATE ON intent_evidence
              FOR EACH ROW EXECUTE FUNCTION intent_evidence_terms();

            CREATE TABLE IF NOT EXISTS intent_search_stats (
                organization_id text PRIMARY KEY,
                documents bigint NOT NULL DEFAULT 0,
                terms bigint NOT NULL DEFAULT 0,
                version bigint NOT NULL DEFAULT 0
            );
            CREATE TABLE IF NOT EXISTS intent_search_postings (
                organization_id text NOT NULL,
                term text NOT NULL,
                id_base bigint NOT NULL,
                postings text NOT NULL,
                PRIMARY KEY (organization_id, term, id_base)
            );

            -- Applies one statement's changes of intent_evidence to the postings and the statistics. Rows an UPDATE
            -- left unchanged (same id, organization and terms) cancel out; the version moves only when N, the
            -- lengths or the postings of an organization may have changed.
            CREATE OR REPLACE FUNCTION intent_search_maintain() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
            DECLARE
              old_rows constant text :=
                'SELECT id, organization_id, search_terms, search_counts, search_length FROM intent_old_rows';
              new_rows constant text :=
                'SELECT id, organization_id, search_terms, search_counts, search_length FROM intent_new_rows';
              removed text;
              added text;
              orgs text[];
              terms text[];
              bases bigint[];
            BEGIN
              IF TG_OP = 'INSERT' THEN
                added := new_rows;
              ELSIF TG_OP = 'DELETE' THEN
                removed := old_rows;
              ELSE
                removed := old_rows || ' EXCEPT ALL ' || new_rows;
                added := new_rows || ' EXCEPT ALL ' || old_rows;
              END IF;
              IF removed IS NOT NULL THEN
                EXECUTE format($q$
                  WITH r AS (%s),
                  gone AS (
                    SELECT r.organization_id, t.term, r.id & -256 AS id_base,
                           array_agg((r.id & 255)::integer) AS offsets
                    FROM r, unnest(r.search_terms) AS t(term)
                    GROUP BY 1, 2, 3
                  ),
                  kept AS (
                    UPDATE intent_search_postings AS p
                    SET postings = (
                      SELECT coalesce(string_agg(x.posting, ' ' ORDER BY x.i), '')
                      FROM unnest(string_to_array(p.postings, ' ')) WITH ORDINALITY AS x(posting, i)
                      WHERE split_part(x.posting, ',', 1)::integer <> ALL (gone.offsets))
                    FROM gone
                    WHERE p.organization_id = gone.organization_id AND p.term = gone.term AND p.id_base = gone.id_base
                    RETURNING p.organization_id, p.term, p.id_base, p.postings
                  )
                  SELECT array_agg(organization_id), array_agg(term), array_agg(id_base) FROM kept WHERE postings = ''
                $q$, removed) INTO orgs, terms, bases;
                IF orgs IS NOT NULL THEN
                  DELETE FROM intent_search_postings AS p USING unnest(orgs, terms, bases) AS z(o, t, b)
                  WHERE p.organization_id = z.o AND p.term = z.t AND p.id_base = z.b AND p.postings = '';
                END IF;
              END IF;
              IF added IS NOT NULL THEN
                EXECUTE format($q$
                  WITH r AS (%s)
                  INSERT INTO intent_search_postings AS p (organization_id, term, id_base, postings)
                  SELECT r.organization_id, t.term, r.id & -256,
                         string_agg((r.id & 255) || ',' || t.n || ',' || r.search_length, ' ' ORDER BY r.id)
                  FROM r, unnest(r.search_terms, r.search_counts) AS t(term, n)
                  GROUP BY 1, 2, 3
                  ORDER BY 1, 2, 3
                  ON CONFLICT (organization_id, term, id_base) DO UPDATE
                    SET postings = p.postings || ' ' || excluded.postings
                $q$, added);
              END IF;
              EXECUTE format($q$
                INSERT INTO intent_search_stats AS s (organization_id, documents, terms, version)
                SELECT organization_id, sum(sign), sum(sign * search_length), 1
                FROM (SELECT -1 AS sign, organization_id, search_length FROM (%s) AS r
                      UNION ALL SELECT 1, organization_id, search_length FROM (%s) AS a) AS d
                GROUP BY 1
                ORDER BY 1
                ON CONFLICT (organization_id) DO UPDATE
                  SET documents = s.documents + excluded.documents, terms = s.terms + excluded.terms,
                      version = s.version + 1
              $q$, coalesce(removed, new_rows || ' LIMIT 0'), coalesce(added, old_rows || ' LIMIT 0'));
              RETURN NULL;
            END $f$;

            CREATE OR REPLACE FUNCTION intent_search_truncate() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
            BEGIN
              DELETE FROM intent_search_postings;
              UPDATE intent_search_stats SET documents = 0, terms = 0, version = version + 1;
              RETURN NULL;
            END $f$;

            -- Existing evidence: terms computed by the BEFORE trigger, then the index and statistics built at once,
            -- before the statement triggers exist (this transaction holds intent_evidence since the ALTER TABLE).
            UPDATE intent_evidence SET search_length = 0;
            DELETE FROM intent_search_postings;
            INSERT INTO intent_search_postings (organization_id, term, id_base, postings)
            SELECT e.organization_id, t.term, e.id & -256,
                   string_agg((e.id & 255) || ',' || t.n || ',' || e.search_length, ' ' ORDER BY e.id)
            FROM intent_evidence AS e, unnest(e.search_terms, e.search_counts) AS t(term, n)
            GROUP BY 1, 2, 3;
            INSERT INTO intent_search_stats AS s (organization_id, documents, terms, version)
            SELECT organization_id, count(*), sum(search_length), 1 FROM intent_evidence GROUP BY 1
            ON CONFLICT (organization_id) DO UPDATE
              SET documents = excluded.documents, terms = excluded.terms, version = s.version + 1;

            DROP TRIGGER IF EXISTS intent_search_insert ON intent_evidence;
            DROP TRIGGER IF EXISTS intent_search_update ON intent_evidence;
            DROP TRIGGER IF EXISTS intent_search_delete ON intent_evidence;
            DROP TRIGGER IF EXISTS intent_search_truncate ON intent_evidence;
            CREATE TRIGGER intent_search_insert AFTER INSERT ON intent_evidence
              REFERENCING NEW TABLE AS intent_new_rows
              FOR EACH STATEMENT EXECUTE FUNCTION intent_search_maintain();
            CREATE TRIGGER intent_search_update AFTER UPDATE ON intent_evidence
              REFERENCING OLD TABLE AS intent_old_rows NEW TABLE AS intent_new_rows
              FOR EACH STATEMENT EXECUTE FUNCTION intent_search_maintain();
            CREATE TRIGGER intent_search_delete AFTER DELETE ON intent_evidence
              REFERENCING OLD TABLE AS intent_old_rows
              FOR EACH STATEMENT EXECUTE FUNCTION intent_search_maintain();
            CREATE TRIGGER intent_search_truncate AFTER TRUNCATE ON intent_evidence
              FOR EACH STATEMENT EXECUTE FUNCTION intent_search_truncate();
            REVOKE ALL ON FUNCTION intent_evidence_terms(), intent_search_maintain(), intent_search_truncate()
              FROM PUBLIC;

            -- The fit filters compare case-insensitively, as Swift's lowercased() (IntentModel.fit). SQL decides a
            -- comparison itself only when both sides are ASCII, whose case folds A-Z only (lower() under the "C"
            -- collation; under another collation lower() would also fold non-ASCII letters, some of them to ASCII,
            -- such as the Kelvin sign). intent_fold is that folded form, or NULL for a string with any non-ASCII
            -- character. Each company keeps it for its industry, size band and region, and fit_ascii says whether
            -- all three are ASCII (or NULL); the function decides the other comparisons in Swift, by distinct value.
            CREATE OR REPLACE FUNCTION intent_fold(p_text text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
              SELECT CASE WHEN octet_length(p_text) = char_length(p_text) THEN lower(p_text COLLATE "C") END
            $f$;
            -- (The generated columns spell intent_fold out: a stored column must not depend on a function that a
            -- later CREATE OR REPLACE could change.)
            ALTER TABLE intent_companies
              ADD COLUMN IF NOT EXISTS industry_folded text GENERATED ALWAYS AS (
                CASE WHEN octet_length(industry) = char_length(industry) THEN lower(industry COLLATE "C") END) STORED,
              ADD COLUMN IF NOT EXISTS size_band_folded text GENERATED ALWAYS AS (
                CASE WHEN octet_length(size_band) = char_length(size_band) THEN lower(size_band COLLATE "C") END) STORED,
              ADD COLUMN IF NOT EXISTS region_folded text GENERATED ALWAYS AS (
                CASE WHEN octet_length(region) = char_length(region) THEN lower(region COLLATE "C") END) STORED,
              ADD COLUMN IF NOT EXISTS fit_ascii boolean GENERATED ALWAYS AS (
                octet_length(coalesce(industry, '') || coalesce(size_band, '') || coalesce(region, ''))
                = char_length(coalesce(industry, '') || coalesce(size_band, '') || coalesce(region, ''))) STORED;
            -- The best companies without evidence: those matching the filters, by bonus then id (IntentSQL).
            CREATE INDEX IF NOT EXISTS intent_companies_industry_idx
              ON intent_companies (organization_id, industry_folded);
            CREATE INDEX IF NOT EXISTS intent_companies_size_band_idx
              ON intent_companies (organization_id, size_band_folded);
            CREATE INDEX IF NOT EXISTS intent_companies_region_idx
              ON intent_companies (organization_id, region_folded);
            CREATE INDEX IF NOT EXISTS intent_companies_bonus_idx ON intent_companies (organization_id,
              (CASE WHEN churn_signal THEN 20 ELSE 0 END + CASE WHEN job_posting THEN 15 ELSE 0 END) DESC, id);
            CREATE INDEX IF NOT EXISTS intent_companies_non_ascii_idx
              ON intent_companies (organization_id) WHERE NOT fit_ascii;

            -- One fit criterion as IntentModel.fit scores it (1 or 0): no filter, no value, both ASCII, or a value
            -- Swift has judged (p_matches: the values it found equal to the filter; p_judged: all it judged). NULL
            -- when undecided. p_folded is intent_fold(p_value).
            CREATE OR REPLACE FUNCTION intent_fit_match(
              p_filter text, p_value text, p_folded text, p_matches text[], p_judged text[]) RETURNS double precision
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
              SELECT CASE
                WHEN p_filter IS NULL THEN 1
                WHEN p_value IS NULL THEN 0
                WHEN intent_fold(p_filter) IS NOT NULL AND p_folded IS NOT NULL THEN
                  CASE WHEN intent_fold(p_filter) = p_folded THEN 1 ELSE 0 END
                WHEN p_value = ANY (p_matches) THEN 1
                WHEN p_value = ANY (p_judged) THEN 0
              END::double precision
            $f$;

            -- Keeps a statement out of parallel query: the planner checks parallel safety before it folds this call
            -- away, so it costs nothing when run. Starting workers takes longer than the intent statements do.
            CREATE OR REPLACE FUNCTION intent_serial() RETURNS boolean
            LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $f$ SELECT true $f$;

            REVOKE ALL ON intent_search_stats, intent_search_postings FROM PUBLIC;
            GRANT SELECT ON intent_search_stats, intent_search_postings TO warden_fn;
            ALTER TABLE intent_search_stats ENABLE ROW LEVEL SECURITY;
            ALTER TABLE intent_search_postings ENABLE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS warden_tenant ON intent_search_stats;
            DROP POLICY IF EXISTS warden_tenant ON intent_search_postings;
            CREATE POLICY warden_tenant ON intent_search_stats TO warden_fn
              USING (organization_id = current_setting('app.tenant_id', true));
            CREATE POLICY warden_tenant ON intent_search_postings TO warden_fn
              USING (organization_id = current_setting('app.tenant_id', true));
            """
    )
}
