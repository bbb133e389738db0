internal import Postgres

/// The statements of the intent API. `$1` is the caller's organization (bound by `TenantSession`); row-level
/// security enforces the same scope again.
enum IntentSQL {
    /// The `index` strategy, step 1, in one snapshot: BM25's statistics, the posting lists of the query's distinct
    /// terms `$2` (migration 9), and the values SQL cannot compare with the filters `$3`–`$5` (industry, size,
    /// region) exactly as Swift does (either side non-ASCII), for Swift to judge. Rows, by their first column:
    ///
    /// - `s`: evidence count, total length and the statistics' version (columns 1–3; zeros for an organization
    ///   without evidence);
    /// - `p`: the postings of one term (column 4): its chunks as `id_base:postings`, separated by `;`, each
    ///   chunk's postings as `offset,count,length` separated by spaces (column 6);
    /// - `industry`, `size`, `region`: a distinct company value of that criterion (column 4).
    ///
    /// `intent_serial()` keeps the statement out of parallel query, whose workers take longer to start than it runs.
    static let postings = SQL(
        #"""
        SELECT 's', s.documents, s.terms, s.version, NULL::text, NULL::bigint, NULL::text
        FROM (
            SELECT coalesce(max(documents), 0) AS documents, coalesce(max(terms), 0) AS terms,
                   coalesce(max(version), 0) AS version
            FROM intent_search_stats WHERE organization_id = $1 AND intent_serial()
        ) AS s
        UNION ALL
        SELECT 'p', NULL, NULL, NULL, p.term, NULL, string_agg(p.id_base || ':' || p.postings, ';')
        FROM intent_search_postings AS p
        WHERE p.organization_id = $1 AND p.term = ANY ($2::text[])
        GROUP BY p.term
        UNION ALL
        SELECT 'industry', NULL, NULL, NULL, c.industry, NULL, NULL
        FROM intent_companies AS c
        WHERE c.organization_id = $1 AND $3::text IS NOT NULL AND c.industry IS NOT NULL
          AND (intent_fold($3::text) IS NULL OR (NOT c.fit_ascii AND c.industry_folded IS NULL))
        GROUP BY c.industry
        UNION ALL
        SELECT 'size', NULL, NULL, NULL, c.size_band, NULL, NULL
        FROM intent_companies AS c
        WHERE c.organization_id = $1 AND $4::text IS NOT NULL AND c.size_band IS NOT NULL
          AND (intent_fold($4::text) IS NULL OR (NOT c.fit_ascii AND c.size_band_folded IS NULL))
        GROUP BY c.size_band
        UNION ALL
        SELECT 'region', NULL, NULL, NULL, c.region, NULL, NULL
        FROM intent_companies AS c
        WHERE c.organization_id = $1 AND $5::text IS NOT NULL AND c.region IS NOT NULL
          AND (intent_fold($5::text) IS NULL OR (NOT c.fit_ascii AND c.region_folded IS NULL))
        GROUP BY c.region
        """#
    )

    /// The `index` strategy, step 2: records the query text `$2` and loads what the ranking needs, in one statement.
    ///
    /// Filters `$6`–`$8` (industry, size, region); for each, the values Swift judged in step 1 and found equal to
    /// the filter (`$10`, `$12`, `$14`) and all it judged (`$11`, `$13`, `$15`), so every comparison is decided
    /// (`intent_fit_match`). The query is recorded only when `$3` is true, or when the statistics' version is
    /// still `$4` (the evidence did not change since step 1) and every company's comparisons are decided (no
    /// value appeared since); otherwise nothing is written and the caller starts again. Rows, by their first
    /// column:
    ///
    /// - `q`: the recorded query's id (absent when not recorded);
    /// - `e`: one relevant evidence item of `$5` (ids): its company's id (column 1), then its id, observed at and
    ///   age as in `scan` (columns 9–11);
    /// - `c`: a company (columns 1–8 as in `scan`): each company of a relevant evidence item, and each one that can
    ///   be among the best `$9` companies by the scores they have without evidence (fit; churn and job-posting
    ///   bonuses). Evidence only raises a company's scores, so the overall best `$9` are among these, which Swift
    ///   ranks. The latter are the best `$9` companies matching every filter given, by bonus then id (from the
    ///   indexes: fit 100 puts them above every other company without evidence, final ≥ 60 against
    ///   ≤ 0.6 × 70 + 0.4 × 35 = 56), and only when those are fewer than `$9`, the best `$9` of all, ranked as
    ///   `IntentModel.rank` ranks them (the same floating-point operations in the same order: final, intent, id).
    ///   A company can come twice.
    static let rankAndRecord = SQL(
        #"""
        WITH scored AS NOT MATERIALIZED (
            SELECT c.id, c.name, c.domain, c.industry, c.size_band, c.region, c.churn_signal, c.job_posting,
                   c.fit_ascii,
                   intent_fit_match($6::text, c.industry, c.industry_folded, $10::text[], $11::text[])
                     AS industry_match,
                   intent_fit_match($7::text, c.size_band, c.size_band_folded, $12::text[], $13::text[])
                     AS size_match,
                   intent_fit_match($8::text, c.region, c.region_folded, $14::text[], $15::text[])
                     AS region_match,
                   least(100, CASE WHEN c.churn_signal THEN 20 ELSE 0 END
                              + CASE WHEN c.job_posting THEN 15 ELSE 0 END)::float8 AS intent
            FROM intent_companies AS c
            WHERE c.organization_id = $1
        ),
        recorded AS (
            INSERT INTO intent_queries (organization_id, query_text)
            SELECT $1, $2::text
            WHERE $3::boolean
               OR ($4::bigint = (SELECT coalesce(max(version), 0) FROM intent_search_stats WHERE organization_id = $1)
                   AND NOT EXISTS (
                       SELECT FROM scored
                       WHERE (NOT fit_ascii OR ($6::text IS NOT NULL AND intent_fold($6::text) IS NULL)
                              OR ($7::text IS NOT NULL AND intent_fold($7::text) IS NULL)
                              OR ($8::text IS NOT NULL AND intent_fold($8::text) IS NULL))
                         AND (industry_match IS NULL OR size_match IS NULL OR region_match IS NULL)))
            RETURNING id
        ),
        relevant AS MATERIALIZED (
            SELECT e.id, e.company_id,
                   to_char(e.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS observed_at,
                   (extract(epoch FROM now() - e.observed_at) / 86400)::float8 AS age
            FROM intent_evidence AS e
            WHERE e.organization_id = $1 AND e.id = ANY ($5::bigint[])
        ),
        full_match AS (
            SELECT c.id, c.name, c.domain, c.industry, c.size_band, c.region, c.churn_signal, c.job_posting
            FROM intent_companies AS c
            WHERE c.organization_id = $1
              AND ($6::text IS NULL OR c.industry_folded = intent_fold($6::text) OR c.industry = ANY ($10::text[]))
              AND ($7::text IS NULL OR c.size_band_folded = intent_fold($7::text) OR c.size_band = ANY ($12::text[]))
              AND ($8::text IS NULL OR c.region_folded = intent_fold($8::text) OR c.region = ANY ($14::text[]))
            ORDER BY CASE WHEN c.churn_signal THEN 20 ELSE 0 END + CASE WHEN c.job_posting THEN 15 ELSE 0 END DESC,
                     c.id
            LIMIT $9::int
        )
        SELECT 'q', r.id, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean, NULL::boolean,
               NULL::bigint, NULL::text, NULL::float8
        FROM recorded AS r
        UNION ALL
        SELECT 'c', id, name, domain, industry, size_band, region, churn_signal, job_posting,
               NULL::bigint, NULL::text, NULL::float8
        FROM full_match
        UNION ALL
        (
            SELECT 'c', id, name, domain, industry, size_band, region, churn_signal, job_posting,
                   NULL::bigint, NULL::text, NULL::float8
            FROM scored
            WHERE (SELECT count(*) FROM full_match) < $9::int
              AND industry_match IS NOT NULL AND size_match IS NOT NULL AND region_match IS NOT NULL
            ORDER BY 0.6::float8 * (100 * (0.4::float8 * industry_match + 0.3::float8 * size_match
                                           + 0.3::float8 * region_match))
                       + 0.4::float8 * intent DESC,
                     intent DESC, id
            LIMIT $9::int
        )
        UNION ALL
        SELECT 'c', c.id, c.name, c.domain, c.industry, c.size_band, c.region, c.churn_signal, c.job_posting,
               NULL::bigint, NULL::text, NULL::float8
        FROM intent_companies AS c
        WHERE c.organization_id = $1 AND c.id = ANY (ARRAY(SELECT company_id FROM relevant))
        UNION ALL
        SELECT 'e', company_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, id, observed_at, age
        FROM relevant
        """#
    )

    /// The `scan` strategy (the original implementation, kept as the reference and the benchmark's baseline): records
    /// the query text `$2` and, in the same statement (one transaction), loads every company of the organization
    /// with its evidence: one row per evidence item (a company without evidence: one row with NULL evidence columns;
    /// no company at all: one row holding only the query id). Columns: query id, company id, name, domain, industry,
    /// size band, region, churn signal, job posting, evidence id, observed at (ISO 8601 UTC), age in days by the
    /// server's clock, evidence text.
    static let scan = SQL(
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
