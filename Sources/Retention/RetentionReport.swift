internal import WardenJSON

/// What one run did: counts only (no personal data), for the reply, the audit row and the log line.
struct RetentionReport {
    /// The run's clock.
    let clock: ScheduleClock
    /// Rows per statement.
    let batchSize: Int
    /// Statements that deleted or anonymized at least one row.
    private(set) var batches = 0
    /// Rows deleted or anonymized, per category.
    private(set) var counts: [RetentionCategory: Int64] = [:]
    /// `true` once every category came back with less than a full batch: nothing expired is left. `false` when
    /// the run stopped early (time running out, or a failure).
    var complete = false

    init(clock: ScheduleClock, batchSize: Int) {
        self.clock = clock
        self.batchSize = batchSize
    }

    /// Records one batch of `category` that changed `rows` rows.
    mutating func record(_ category: RetentionCategory, rows: Int64) {
        guard rows > 0 else { return }
        batches += 1
        counts[category, default: 0] += rows
    }

    subscript(category: RetentionCategory) -> Int64 { counts[category] ?? 0 }

    /// The reply: `{"ok":true,"data":{"now","batchSize","batches","complete","deleted":{"queries","evidence",
    /// "companies","idempotency"},"anonymized":{"participants"}},"error":null}`.
    var json: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("ok")
        w.bool(true)
        w.key("data")
        w.beginObject()
        w.key("now")
        w.string(clock.iso8601)
        w.key("batchSize")
        w.int(batchSize)
        w.key("batches")
        w.int(batches)
        w.key("complete")
        w.bool(complete)
        w.key("deleted")
        w.beginObject()
        for category in [RetentionCategory.queries, .evidence, .companies, .idempotency] {
            w.key(category.rawValue)
            w.int(self[category])
        }
        w.endObject()
        w.key("anonymized")
        w.beginObject()
        w.key(RetentionCategory.participants.rawValue)
        w.int(self[.participants])
        w.endObject()
        w.endObject()
        w.key("error")
        w.null()
        w.endObject()
        return w.bytes
    }

    /// The audit row's `action`: `sweep now=… batches=… queries=… evidence=… companies=… participants=…
    /// idempotency=… complete=…`.
    var auditAction: String {
        var text = "sweep now=\(clock.iso8601) batch=\(batchSize) batches=\(batches)"
        for category in RetentionCategory.allCases { text += " \(category.rawValue)=\(self[category])" }
        return text + " complete=\(complete)"
    }
}
