extension Migrations {
    /// Migration 13: a meeting's participants are unique by e-mail address up to Unicode case and normalization.
    ///
    /// Until now uniqueness among live (not erased) participants was on the stored address itself, which the API
    /// lower-cases in ASCII only: `Ö@x.example` and `ö@x.example`, or `Ö` precomposed (NFC) and `O` + U+0308
    /// (NFD), were two participants. The new unique index is on the address's *key*:
    ///
    ///     normalize(lower(normalize(email, NFKC) COLLATE "und-x-icu"), NFKC)
    ///
    /// NFKC first (canonical and compatibility equivalents: NFD, ligatures such as `ﬁ`, full-width forms, the Kelvin
    /// sign), then the full lower-case mapping of ICU's root locale — the same on every server whatever the
    /// database's `LC_CTYPE` (a plain `lower()` follows the database collation: nothing beyond ASCII under `C`,
    /// Turkish rules under `tr_TR`) — then NFKC again, as lower-casing can leave a sequence unnormalized. This is
    /// UTS #46's mapping of domain names (NFKC and lower case; `ß` stays distinct from `ss`), applied to the whole
    /// address. The stored address stays as the client sent it; only the index folds.
    ///
    /// The expression is spelled out, not wrapped in a function: an index on a function silently goes stale when
    /// the function is replaced. `lower()` under an ICU collation depends on the ICU version (recorded in
    /// `pg_collation.collversion`; PostgreSQL warns when it changes): after an ICU upgrade,
    /// `REINDEX INDEX meeting_participants_org_meeting_email_key_uq`. A server built without ICU has no
    /// `und-x-icu`: the migration stops with a message saying so.
    ///
    /// Rows that already collide under the new key (possible only with non-ASCII addresses) make the migration
    /// stop — nothing is changed, the old index stays — with a message giving the number of colliding groups and
    /// the ids of up to 20 of them: which participant to keep is the organization's decision (erase or rectify the
    /// others, then run `warden migrate` again). The old index on the address itself stays too, so functions still
    /// running the previous release (whose insert names it in `ON CONFLICT`) keep working during a deploy; the
    /// new key index is the stricter of the two.
    static let emailFolding = Migration(
        version: 13, name: "participant e-mail uniqueness folds Unicode case and normalization",
        script: """
            DO $m$
            DECLARE
              groups bigint;
              sample text;
            BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
                RAISE EXCEPTION USING ERRCODE = 'WR013',
                  MESSAGE = 'migration 13 needs the ICU collation "und-x-icu" (PostgreSQL built with ICU, as '
                    'Debian''s, RDS''s and Aurora''s are)';
              END IF;
              SELECT count(*), string_agg(ids, '; ') FILTER (WHERE n <= 20) INTO groups, sample
              FROM (
                SELECT array_to_string(array_agg(id ORDER BY id), ', ') AS ids,
                       row_number() OVER (ORDER BY min(id)) AS n
                FROM meeting_participants
                WHERE enrichment_status <> 'deleted'
                GROUP BY organization_id, meeting_id,
                         normalize(lower(normalize(email, NFKC) COLLATE "und-x-icu"), NFKC)
                HAVING count(*) > 1
              ) AS clash;
              IF groups > 0 THEN
                RAISE EXCEPTION USING ERRCODE = 'WR013',
                  MESSAGE = format('migration 13: %s group(s) of live participants of one meeting have e-mail addresses '
                    'that differ only in case or Unicode normalization (participant ids: %s); erase or rectify all but '
                    'one of each group, then run the migration again', groups, sample);
              END IF;
            END $m$;
            CREATE UNIQUE INDEX IF NOT EXISTS meeting_participants_org_meeting_email_key_uq
              ON meeting_participants (organization_id, meeting_id,
                                       normalize(lower(normalize(email, NFKC) COLLATE "und-x-icu"), NFKC))
              WHERE enrichment_status <> 'deleted';
            """
    )
}
