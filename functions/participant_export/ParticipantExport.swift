internal import LambdaRuntime
internal import Middleware
internal import Postgres
internal import WardenJSON
internal import Participants

/// `GET /api/participants/export`: every participant of the caller's organization as NDJSON, in id order, then
/// `{"exportComplete":true,"participants":N}`. A client that does not see the summary line got a truncated export.
enum ParticipantExport {
    /// `Content-Type` of the export.
    static let contentType = "application/x-ndjson"
    static let defaultPageSize = 500
    static let maxPageSize = 5000

    /// Rows per page from `EXPORT_PAGE_SIZE` (1–5000; anything else: 500).
    static func pageSize(_ setting: String?) -> Int {
        guard let setting, let value = Int(setting), value >= 1, value <= maxPageSize else { return defaultPageSize }
        return value
    }

    /// Reads the first page in the route's session (with the tenant's rate limit, before anything is sent: a
    /// failure here is still a status and an envelope), then hands the rest to the stream.
    static func start(_ call: StreamingRouteRequest, pageSize: Int) throws -> StreamingRouteResponse {
        let first = try call.session.query(ExportSQL.page, [.int(0), .int(Int64(pageSize))])
        let stream = ExportStream(first: first.rows, pageSize: pageSize) { after in
            try call.sessions.withSession { session in try session.query(ExportSQL.page, [.int(after), .int(Int64(pageSize))]).rows }
        }
        return StreamingRouteResponse(body: stream)
    }
}

/// The export's body: one chunk per page (each row a JSON line), pages read lazily as the runtime asks for the
/// next chunk, each in its own tenant session; then the summary line. A page that cannot be read (database
/// error, deadline) throws: the stream ends with the error trailers and without the summary line.
struct ExportStream: ResponseStream {
    private var page: [[String?]]?
    private let pageSize: Int
    private let readPage: (Int64) throws -> [[String?]]
    private var lastID: Int64 = 0
    private var count = 0
    private var exhausted = false
    private var finished = false

    /// `first`: the first page, already read; `readPage`: the page of rows with an id above its argument.
    init(first: [[String?]], pageSize: Int, readPage: @escaping (Int64) throws -> [[String?]]) {
        page = first
        self.pageSize = pageSize
        self.readPage = readPage
    }

    var contentType: String { ParticipantExport.contentType }

    mutating func next() throws -> [UInt8]? {
        while true {
            if let rows = page {
                page = nil
                if rows.count < pageSize { exhausted = true }
                guard !rows.isEmpty else { continue }
                return try lines(rows)
            }
            if !exhausted {
                page = try readPage(lastID)
                continue
            }
            guard !finished else { return nil }
            finished = true
            var summary = JSONWriter(capacity: 64)
            summary.beginObject()
            summary.key("exportComplete")
            summary.bool(true)
            summary.key("participants")
            summary.int(count)
            summary.endObject()
            return summary.bytes + [0x0A]
        }
    }

    /// The rows as JSON lines. Ids must rise (the keyset); anything else is a broken page, not a row to skip.
    private mutating func lines(_ rows: [[String?]]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 512)
        var line = JSONWriter(capacity: 1024)
        for row in rows {
            guard let text = row.first ?? nil, let id = Int64(text), id > lastID else { throw ExportError.unorderedPage }
            lastID = id
            line.reset()
            line.value(ParticipantRow.json(row))
            out += line.bytes
            out.append(0x0A)
            count += 1
        }
        return out
    }
}

/// A page that breaks the keyset order (never expected: the statement orders by id).
enum ExportError: Error {
    case unorderedPage
}
