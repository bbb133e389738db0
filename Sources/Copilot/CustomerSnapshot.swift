public import Postgres
internal import WardenJSON

/// Everything the copilot tools know about one customer of one tenant, read in a single round trip.
public struct CustomerSnapshot: Sendable, Equatable {
    /// `companies.name`, when the company row exists.
    public var companyName: String?
    /// `usage_summaries` row, when present.
    public var usage: Usage?
    /// `ticket_summaries` row, when present.
    public var tickets: Tickets?
    /// `contracts` row, when present.
    public var contract: Contract?

    public struct Usage: Sendable, Equatable {
        /// `up`, `down` or `flat` (any other stored value reads as `flat`).
        public var trend: String
        public var avgDailyUsers: Int
        /// The numeric points of the stored sparkline (non-numbers, and numbers beyond a double's range, are dropped).
        public var sparkline: [Double]
    }

    public struct Tickets: Sendable, Equatable {
        public var openTickets: Int
        /// `{id, severity}` pairs as strings.
        public var recent: [(id: String, severity: String)]

        public static func == (a: Tickets, b: Tickets) -> Bool {
            a.openTickets == b.openTickets && a.recent.elementsEqual(b.recent) { $0.id == $1.id && $0.severity == $1.severity }
        }
    }

    public struct Contract: Sendable, Equatable {
        /// The renewal date, `nil` when the column is NULL.
        public var renewal: RenewalDate?
        public var arr: Int

        /// `renewal_date` as the original rendered it (Python's `isoformat()`: `YYYY-MM-DDTHH:MM:SS[.ffffff]`), or
        /// `nil` when NULL or not representable (`infinity`, `-infinity`, years outside 1–9999).
        public var renewalDate: String? { renewal?.isoformat }
        /// The renewal instant read as UTC, seconds since the Unix epoch (saturated for the infinities).
        public var renewalEpochSeconds: Int64? { renewal?.epochSeconds }

        public init(renewal: RenewalDate?, arr: Int) {
            self.renewal = renewal
            self.arr = arr
        }
    }

    /// `true` when no table knows the customer.
    public var isUnknown: Bool { companyName == nil && usage == nil && tickets == nil && contract == nil }

    /// The trend used by the scores and texts: the stored one, `flat` when unknown.
    public var trend: String { usage?.trend ?? "flat" }
    /// Open tickets, 0 when unknown.
    public var openTickets: Int { tickets?.openTickets ?? 0 }

    /// `$1` tenant, `$2` customer. One row always comes back; absent tables give NULLs.
    static let query = SQL(
        """
        SELECT co.name,
               u.company_external_id IS NOT NULL, u.trend, u.avg_daily_users, u.sparkline::text,
               t.company_external_id IS NOT NULL, t.open_tickets, t.recent_tickets::text,
               c.company_external_id IS NOT NULL, extract(epoch FROM c.renewal_date)::text, c.arr
        FROM (SELECT $1::text AS owner, $2::text AS customer) k
        LEFT JOIN companies co ON co.owner_user_id = k.owner AND co.external_id = k.customer
        LEFT JOIN usage_summaries u ON u.owner_user_id = k.owner AND u.company_external_id = k.customer
        LEFT JOIN ticket_summaries t ON t.owner_user_id = k.owner AND t.company_external_id = k.customer
        LEFT JOIN contracts c ON c.owner_user_id = k.owner AND c.company_external_id = k.customer
        """
    )

    /// Reads the snapshot of `customerId` for the session's tenant.
    public static func load(_ customerId: String, session: TenantSession) throws(PostgresError) -> CustomerSnapshot {
        let rows = try session.query(query, [.text(customerId)]).decode { (row) throws(PostgresError) in try CustomerSnapshot(reading: &row) }
        guard let snapshot = rows.first, rows.count == 1 else {
            throw PostgresError(.unexpectedResult, detail: "customer snapshot shape")
        }
        return snapshot
    }

    /// One row of `query`, column by column.
    init(reading row: inout PGRowReader) throws(PostgresError) {
        companyName = try row.text()
        let hasUsage = try row.bool() ?? false
        let trend = try row.text() ?? "flat"
        let avgDailyUsers = try row.int() ?? 0
        let sparkline = try row.text()
        if hasUsage {
            usage = Usage(trend: ["up", "down", "flat"].contains(trend) ? trend : "flat", avgDailyUsers: avgDailyUsers, sparkline: Self.numbers(sparkline))
        }
        let hasTickets = try row.bool() ?? false
        let openTickets = try row.int() ?? 0
        let recent = try row.text()
        if hasTickets { tickets = Tickets(openTickets: openTickets, recent: Self.ticketList(recent)) }
        let hasContract = try row.bool() ?? false
        let renewal = try row.text()
        let arr = try row.int() ?? 0
        if hasContract { contract = Contract(renewal: renewal.flatMap(RenewalDate.init(epochText:)), arr: arr) }
    }

    init(companyName: String?, usage: Usage?, tickets: Tickets?, contract: Contract?) {
        self.companyName = companyName
        self.usage = usage
        self.tickets = tickets
        self.contract = contract
    }

    private static func numbers(_ text: String?) -> [Double] {
        guard let text, let array = (try? JSON.parse(text))?.arrayValue else { return [] }
        return array.compactMap { $0.doubleValue }.filter(\.isFinite)
    }

    private static func ticketList(_ text: String?) -> [(id: String, severity: String)] {
        guard let text, let array = (try? JSON.parse(text))?.arrayValue else { return [] }
        return array.compactMap { item in
            guard let object = item.objectValue else { return nil }
            let id: String? = switch object["id"] {
            case .string(let s)?: s
            case .int(let i)?: String(i)
            default: nil
            }
            guard let id else { return nil }
            return (id, object["severity"]?.stringValue ?? "unknown")
        }
    }
}
