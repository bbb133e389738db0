"""Our migrations on top of a database that already holds the copilot front end's own tables and data."""
import json
import subprocess

from conftest import ROOT, SECRET, WARDEN, Emulator, connect, rest_event, sign

# The front end's own schema (its Drizzle migrations), as it exists before Warden: no row-level security,
# no audit table, no functions role grants, and its own extra columns.
FRONTEND_SCHEMA = """
CREATE TABLE companies (id serial PRIMARY KEY, external_id text NOT NULL, name text NOT NULL,
  owner_user_id text NOT NULL, created_at timestamp DEFAULT now() NOT NULL, updated_at timestamp DEFAULT now() NOT NULL,
  industry text);
CREATE UNIQUE INDEX companies_owner_external_idx ON companies (owner_user_id, external_id);
CREATE TABLE contracts (company_external_id text NOT NULL, owner_user_id text NOT NULL, renewal_date timestamp,
  arr integer DEFAULT 0 NOT NULL, PRIMARY KEY (owner_user_id, company_external_id));
CREATE TABLE usage_summaries (company_external_id text NOT NULL, owner_user_id text NOT NULL, trend text NOT NULL,
  avg_daily_users integer NOT NULL, sparkline jsonb NOT NULL, PRIMARY KEY (owner_user_id, company_external_id));
CREATE TABLE ticket_summaries (company_external_id text NOT NULL, owner_user_id text NOT NULL,
  open_tickets integer NOT NULL, recent_tickets jsonb NOT NULL, PRIMARY KEY (owner_user_id, company_external_id));
CREATE TABLE messages (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), company_external_id text NOT NULL,
  owner_user_id text NOT NULL, role text NOT NULL, content text NOT NULL, result_json jsonb, task_id uuid,
  hidden boolean DEFAULT false NOT NULL, created_at timestamp DEFAULT now() NOT NULL);
INSERT INTO companies (external_id, name, owner_user_id, industry) VALUES ('fe-co', 'Front End Co', 'user_fe', 'saas');
INSERT INTO contracts VALUES ('fe-co', 'user_fe', '2031-05-17 08:30:00', 64000);
INSERT INTO usage_summaries VALUES ('fe-co', 'user_fe', 'up', 42, '[40, 41, 42]');
INSERT INTO ticket_summaries VALUES ('fe-co', 'user_fe', 1, '[{"id": "FE-1", "severity": "low"}]');
INSERT INTO messages (company_external_id, owner_user_id, role, content) VALUES ('fe-co', 'user_fe', 'user', 'hello');
"""


def test_migrations_keep_the_front_ends_data_and_the_tools_answer_from_it(private_cluster, tmp_path):
    subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/psql", "-h", str(private_cluster.dir),
                    "-p", str(private_cluster.port), "-U", "warden", "-d", "warden", "-v", "ON_ERROR_STOP=1",
                    "-c", "DROP TABLE IF EXISTS companies, contracts, usage_summaries, ticket_summaries, messages, "
                          "audit_events, warden_schema_migrations CASCADE", "-c", FRONTEND_SCHEMA],
                   check=True, capture_output=True)
    out = subprocess.run([str(WARDEN), "migrate", "--database-url", private_cluster.owner_url], check=True,
                         capture_output=True, text=True).stdout
    assert "applied 1, 2" in out and ", 14" in out
    # Idempotent: a second run changes nothing.
    again = subprocess.run([str(WARDEN), "migrate", "--database-url", private_cluster.owner_url], check=True,
                           capture_output=True, text=True).stdout
    assert "up to date" in again

    def ask(tool):
        e = Emulator(ROOT / "dist" / tool / "bootstrap", tmp_path=tmp_path, name=tool,
                     env={"HMAC_SECRET": SECRET, "DATABASE_URL": private_cluster.function_url})
        try:
            body = json.dumps({"customerId": "fe-co", "params": {"ownerUserId": "user_fe"}})
            _, _, raw = e.invoke(rest_event(tool, body, sign(body)))
            return json.loads(json.loads(raw)["body"])
        finally:
            e.stop()

    assert ask("get_contract_info") == {"ok": True, "data": {"renewalDate": "2031-05-17T08:30:00", "arr": 64000,
                                                             "missingData": False}, "error": None}
    assert ask("get_customer_usage")["data"] == {"trend": "up", "avgDailyUsers": 42, "sparkline": [40, 41, 42],
                                                 "missingData": False}
    assert ask("get_recent_tickets")["data"]["recentTickets"] == [{"id": "FE-1", "severity": "low"}]
    assert ask("calculate_health")["data"]["signals"] == ["usage_up", "few_tickets", "renewal_far"]
    assert "Front End Co" in ask("generate_email")["data"]["subject"]


def indexes(cluster_url, table):
    conn = connect(cluster_url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", (table,))
        return {name: definition for name, definition in cur.fetchall()}
    finally:
        conn.close()


def reset_to_frontend_schema(cluster, extra=""):
    cluster.psql("DROP TABLE IF EXISTS companies, contracts, usage_summaries, ticket_summaries, messages, "
                 "audit_events, warden_schema_migrations CASCADE", db="warden")
    # The front end's tables belong to the role its migrations ran as (here the database owner, warden).
    cluster.psql("SET ROLE warden; " + FRONTEND_SCHEMA + extra, db="warden")


def migrate(cluster):
    return subprocess.run([str(WARDEN), "migrate", "--database-url", cluster.owner_url], check=True,
                          capture_output=True, text=True).stdout


def test_migrate_adds_no_index_the_front_end_already_has(private_cluster):
    # A fresh database (no front end): our own unique index and messages index exist.
    assert "companies_owner_external_uq" in indexes(private_cluster.owner_url, "companies")
    assert "messages_owner_company_idx" in indexes(private_cluster.owner_url, "messages")
    # The front end's database, with its own unique index (named its way, columns in another order) and its own
    # index on messages: nothing of ours duplicates them.
    reset_to_frontend_schema(private_cluster, "CREATE INDEX messages_company_idx ON messages "
                                              "(owner_user_id, company_external_id, created_at DESC);")
    migrate(private_cluster)
    companies = indexes(private_cluster.owner_url, "companies")
    assert set(companies) == {"companies_pkey", "companies_owner_external_idx"}, companies
    assert set(indexes(private_cluster.owner_url, "messages")) == {"messages_pkey", "messages_company_idx"}
    # A database migrated before this check existed carries our duplicate: the next migrate drops it (and keeps
    # the front end's).
    reset_to_frontend_schema(private_cluster)
    private_cluster.psql("CREATE UNIQUE INDEX companies_owner_external_uq ON companies (owner_user_id, external_id)",
                         db="warden")
    migrate(private_cluster)
    assert set(indexes(private_cluster.owner_url, "companies")) == {"companies_pkey", "companies_owner_external_idx"}
    # A partial unique index is not equivalent: ours is still added.
    reset_to_frontend_schema(private_cluster)
    private_cluster.psql("DROP INDEX companies_owner_external_idx; CREATE UNIQUE INDEX companies_partial_idx ON "
                         "companies (owner_user_id, external_id) WHERE name <> ''", db="warden")
    migrate(private_cluster)
    assert "companies_owner_external_uq" in indexes(private_cluster.owner_url, "companies")


def test_the_front_ends_own_roles_still_see_every_row(private_cluster):
    reset_to_frontend_schema(private_cluster)
    private_cluster.psql("INSERT INTO companies (external_id, name, owner_user_id) VALUES ('other-co', 'Other', "
                         "'user_other'), ('guest-co', 'Guest', 'public')", db="warden")
    migrate(private_cluster)
    # A role of the front end's that does not own the tables (an application role with grants), and the owner.
    private_cluster.psql("CREATE ROLE frontend_app LOGIN PASSWORD 'fe-pw'; GRANT SELECT, INSERT, UPDATE, DELETE ON "
                         "companies, contracts, usage_summaries, ticket_summaries, messages TO frontend_app; "
                         "GRANT USAGE ON SEQUENCE companies_id_seq TO frontend_app", db="warden")
    frontend_url = private_cluster.owner_url.replace("warden:owner-pw@", "frontend_app:fe-pw@")
    for url in (frontend_url, private_cluster.owner_url):
        conn = connect(url)
        conn.autocommit = True
        try:
            cur = conn.cursor()
            cur.execute("SELECT owner_user_id FROM companies ORDER BY owner_user_id")
            assert [r[0] for r in cur.fetchall()] == ["public", "user_fe", "user_other"], url
            cur.execute("SELECT count(*) FROM contracts")
            assert cur.fetchone()[0] == 1
        finally:
            conn.close()
    # Writes of the front end's role are not filtered either.
    conn = connect(frontend_url)
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES ('new-co', 'New', 'user_new')")
        cur.execute("UPDATE contracts SET arr = 1 WHERE owner_user_id = 'user_fe'")
        assert cur.rowcount == 1
    finally:
        conn.close()
    # The functions' role still sees only its tenant's rows.
    conn = connect(private_cluster.function_url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT set_config('app.tenant_id', 'user_other', false)")
        cur.execute("SELECT external_id FROM companies")
        assert [r[0] for r in cur.fetchall()] == ["other-co"]
    finally:
        conn.close()
