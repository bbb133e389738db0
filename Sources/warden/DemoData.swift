import Postgres

/// Demo data for `make run`: the guest tenant `public` and one named owner, covering every health-score branch.
/// Renewal dates are relative to now so the signals stay meaningful. Re-running resets the rows.
enum DemoData {
    static let namedOwner = "user_demo_owner"

    static func load(into database: Database) throws {
        try database.runScript(
            """
            BEGIN;
            INSERT INTO companies (external_id, name, owner_user_id) VALUES
              ('acme', 'Acme Corp', 'public'),
              ('globex', 'Globex', 'public'),
              ('initech', 'Initech', 'public'),
              ('umbrella', 'Umbrella', 'public'),
              ('acme', 'Acme Corp (owner copy)', 'user_demo_owner'),
              ('hooli', 'Hooli', 'user_demo_owner')
            ON CONFLICT (owner_user_id, external_id) DO UPDATE SET name = EXCLUDED.name, updated_at = now();

            INSERT INTO usage_summaries (company_external_id, owner_user_id, trend, avg_daily_users, sparkline) VALUES
              ('acme', 'public', 'up', 120, '[90,95,101,110,118,120,131]'),
              ('globex', 'public', 'down', 40, '[70,66,58,51,47,44,40]'),
              ('initech', 'public', 'flat', 15, '[15,14,16,15,15,16,15]'),
              ('acme', 'user_demo_owner', 'down', 12, '[20,18,17,15,14,13,12]'),
              ('hooli', 'user_demo_owner', 'up', 300, '[250,262,270,281,290,296,300]')
            ON CONFLICT (owner_user_id, company_external_id) DO UPDATE
              SET trend = EXCLUDED.trend, avg_daily_users = EXCLUDED.avg_daily_users, sparkline = EXCLUDED.sparkline;

            INSERT INTO ticket_summaries (company_external_id, owner_user_id, open_tickets, recent_tickets) VALUES
              ('acme', 'public', 0, '[]'),
              ('globex', 'public', 7, '[{"id":"T-101","severity":"high"},{"id":"T-102","severity":"medium"}]'),
              ('initech', 'public', 2, '[{"id":"T-201","severity":"low"}]'),
              ('acme', 'user_demo_owner', 4, '[{"id":"T-301","severity":"high"}]'),
              ('hooli', 'user_demo_owner', 1, '[{"id":"T-401","severity":"low"}]')
            ON CONFLICT (owner_user_id, company_external_id) DO UPDATE
              SET open_tickets = EXCLUDED.open_tickets, recent_tickets = EXCLUDED.recent_tickets;

            INSERT INTO contracts (company_external_id, owner_user_id, renewal_date, arr) VALUES
              ('acme', 'public', date_trunc('day', now() AT TIME ZONE 'UTC') + interval '365 days', 120000),
              ('globex', 'public', date_trunc('day', now() AT TIME ZONE 'UTC') + interval '30 days', 45000),
              ('initech', 'public', date_trunc('day', now() AT TIME ZONE 'UTC') + interval '100 days', 8000),
              ('acme', 'user_demo_owner', date_trunc('day', now() AT TIME ZONE 'UTC') + interval '20 days', 99000),
              ('hooli', 'user_demo_owner', NULL, 250000)
            ON CONFLICT (owner_user_id, company_external_id) DO UPDATE
              SET renewal_date = EXCLUDED.renewal_date, arr = EXCLUDED.arr;

            INSERT INTO organization_members (user_id, organization_id) VALUES ('user_demo_owner', 'org_demo')
            ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id;
            COMMIT;
            """
        )
    }
}
