internal import LambdaRuntime
internal import WardenJSON

/// The sweep's "now": the `time` of the EventBridge schedule event that started the run (not the machine's clock),
/// so a retried or replayed event sweeps exactly as the original would have, and tests drive the clock.
struct ScheduleClock: Equatable {
    /// Milliseconds since the Unix epoch (fractions of a millisecond are dropped).
    let milliseconds: Int64

    /// A clock further ahead of the machine's than this is refused (the SQL function refuses it as well).
    static let allowedSkewMilliseconds: Int64 = 5 * 60 * 1000
    /// Largest event accepted (an EventBridge event is at most 256 KiB).
    static let maxEventBytes = 256 * 1024

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form handed to PostgreSQL and reported.
    var iso8601: String { Timestamp.iso8601(milliseconds: milliseconds) }

    /// The clock of a schedule event: a JSON object whose `time` is an RFC 3339 timestamp
    /// (`2026-11-23T03:00:00Z`; fractional seconds and a `±HH:MM` offset allowed), at most 5 minutes ahead of
    /// `nowMilliseconds`. Every other member is ignored; a repeated member is refused.
    init(event: [UInt8], nowMilliseconds: Int64) throws(RetentionError) {
        let json: JSON
        do {
            json = try JSON.parse(event, options: JSONParseOptions(maxDepth: 32, maxBytes: Self.maxEventBytes, rejectDuplicateKeys: true))
        } catch {
            throw RetentionError(.invalidEvent, "The event is not a JSON object.")
        }
        guard case .object(let object) = json else { throw RetentionError(.invalidEvent, "The event is not a JSON object.") }
        guard let time = object["time"]?.stringValue, let milliseconds = Self.parse(time) else {
            throw RetentionError(.invalidEvent, "The event has no valid `time` (an RFC 3339 timestamp such as 2026-11-23T03:00:00Z).")
        }
        guard milliseconds <= nowMilliseconds + Self.allowedSkewMilliseconds else {
            throw RetentionError(.invalidEvent, "The event's `time` is in the future.")
        }
        self.milliseconds = milliseconds
    }

    init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` strictly (years 1970–9999, no leap second), to
    /// milliseconds since the Unix epoch; `nil` for anything else.
    static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.count <= 40 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for i in from..<(from + count) {
                guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                value = value * 10 + Int64(b[i] - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), b[4] == 0x2D, let month = number(5, 2), b[7] == 0x2D, let day = number(8, 2),
              b[10] == 0x54, let hour = number(11, 2), b[13] == 0x3A, let minute = number(14, 2), b[16] == 0x3A,
              let second = number(17, 2)
        else { return nil }
        guard (1970...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if b[i] == 0x2E {  // fraction: 1 to 9 digits, kept to the millisecond
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            let digits = i - start
            guard (1...9).contains(digits) else { return nil }
            for k in 0..<3 { millis = millis * 10 + (k < digits ? Int64(b[start + k] - 0x30) : 0) }
        }
        guard i < b.count else { return nil }
        var offsetMinutes: Int64 = 0
        if b[i] == 0x5A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3A, let om = number(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == 0x2D ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return seconds * 1000 + millis
    }

    private static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days-from-civil).
    private static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
