internal import Postgres

/// The function's only statement: one bounded batch of one category, through the SECURITY DEFINER function of
/// migration 10 (it sees every organization; the functions' role has no other access to these rows). `$1` the
/// clock (ISO 8601 UTC), `$2` the category, `$3` the batch size; returns the rows deleted or anonymized.
enum RetentionSQL {
    static let sweep = SQL("SELECT warden_retention_sweep($1::timestamptz, $2, $3::int)")
}
