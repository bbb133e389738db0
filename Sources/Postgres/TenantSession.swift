/// A view of the database for one tenant.
///
/// Each statement runs in its own transaction together with the tenant's settings, in one round trip:
/// `app.tenant_id` (which the row-level-security policies compare every row with) and `statement_timeout`
/// (from the invocation's remaining time). The statement also receives the tenant as parameter `$1`, so it can
/// filter explicitly as well; its own values follow as `$2`, `$3`, …. Inside `Database.withTransaction` the
/// statements share that one transaction instead, each still sent with the settings.
public struct TenantSession {
    /// The tenant this session is scoped to.
    public let tenant: TenantID
    let database: Database
    /// Statements must finish by this time (milliseconds since the Unix epoch), if set.
    let deadline: Int64?

    static let scope = SQL("SELECT set_config('app.tenant_id', $1, true), set_config('statement_timeout', $2, true)")

    /// Runs `sql` with `$1` bound to the tenant and `binds` as `$2…`, under row-level security for the tenant.
    public func query(_ sql: SQL, _ binds: [PGValue] = []) throws(PostgresError) -> PGRows {
        let results = try database.run([scopeStatement(), (sql, [.text(tenant.rawValue)] + binds)], deadline: deadline)
        return results[1]
    }

    /// The statement that scopes what follows it in its transaction to the tenant and the time left.
    func scopeStatement() -> (SQL, [PGValue]) {
        let timeout = deadline.map { max(1, $0 - nowMilliseconds()) } ?? 0
        return (Self.scope, [.text(tenant.rawValue), .text("\(timeout)ms")])
    }
}
