extension Migrations {
    /// Migration 14: Warden on the copilot front end's own database changes as little as it can there
    /// (docs/FRONTEND_DATABASE.md lists every change).
    /// - No index that duplicates one the front end already has: `companies_owner_external_uq` and
    ///   `messages_owner_company_idx` (which migration 1 created before this one existed) are created only when no
    ///   equivalent index exists, and dropped when one does. Equivalent: valid, not partial, no expressions; for a
    ///   unique index the same set of key columns, for a plain one the same leading columns in order.
    /// - Row-level security restricts Warden's functions role alone: a permissive policy lets every role that is
    ///   not a member of `warden_fn` see and change what its grants allow, as before RLS was enabled, so the front
    ///   end keeps every row even when it connects as a role that does not own the tables.
    static let frontEndTables = Migration(
        version: 14, name: "front end's tables: no duplicate indexes, RLS for warden_fn only",
        script: """
            CREATE FUNCTION pg_temp.warden_equivalent_index(tbl regclass, cols text[], is_unique boolean, ours text)
            RETURNS boolean LANGUAGE sql STABLE AS $fn$
              SELECT EXISTS (
                SELECT 1
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid
                CROSS JOIN LATERAL (
                  SELECT array_agg(a.attname::text ORDER BY k.n) AS keys
                  FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE k.n <= i.indnkeyatts
                ) key_columns
                WHERE i.indrelid = tbl AND c.relname <> ours AND i.indisvalid AND i.indpred IS NULL
                  AND i.indexprs IS NULL AND NOT (0 = ANY (i.indkey::int2[]))
                  AND CASE WHEN is_unique
                        THEN i.indisunique AND i.indnkeyatts = cardinality(cols)
                             AND key_columns.keys @> cols AND key_columns.keys <@ cols
                        ELSE key_columns.keys[1:cardinality(cols)] = cols
                      END
              )
            $fn$;

            DO $$ BEGIN
              IF pg_temp.warden_equivalent_index('companies', ARRAY['owner_user_id', 'external_id'], true,
                                                 'companies_owner_external_uq') THEN
                DROP INDEX IF EXISTS companies_owner_external_uq;
              ELSE
                CREATE UNIQUE INDEX IF NOT EXISTS companies_owner_external_uq ON companies (owner_user_id, external_id);
              END IF;
              IF pg_temp.warden_equivalent_index('messages', ARRAY['owner_user_id', 'company_external_id'], false,
                                                 'messages_owner_company_idx') THEN
                DROP INDEX IF EXISTS messages_owner_company_idx;
              ELSE
                CREATE INDEX IF NOT EXISTS messages_owner_company_idx
                  ON messages (owner_user_id, company_external_id, created_at);
              END IF;
            END $$;
            DROP FUNCTION pg_temp.warden_equivalent_index(regclass, text[], boolean, text);

            DROP POLICY IF EXISTS warden_other_roles ON companies;
            DROP POLICY IF EXISTS warden_other_roles ON contracts;
            DROP POLICY IF EXISTS warden_other_roles ON usage_summaries;
            DROP POLICY IF EXISTS warden_other_roles ON ticket_summaries;
            DROP POLICY IF EXISTS warden_other_roles ON messages;
            CREATE POLICY warden_other_roles ON companies
              USING (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'))
              WITH CHECK (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'));
            CREATE POLICY warden_other_roles ON contracts
              USING (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'))
              WITH CHECK (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'));
            CREATE POLICY warden_other_roles ON usage_summaries
              USING (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'))
              WITH CHECK (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'));
            CREATE POLICY warden_other_roles ON ticket_summaries
              USING (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'))
              WITH CHECK (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'));
            CREATE POLICY warden_other_roles ON messages
              USING (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'))
              WITH CHECK (NOT pg_has_role(current_user, 'warden_fn', 'MEMBER'));
            """
    )
}
