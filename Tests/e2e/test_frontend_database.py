"""Our migrations on top of a database that already holds the copilot front end's own tables and data."""
import json
import subprocess

from conftest import ROOT, SECRET, WARDEN, Emulator, rest_event, sign

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
    assert "applied 1, 2" in out
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
