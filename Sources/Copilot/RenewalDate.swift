/// A contract's `renewal_date`: a zone-less Postgres `timestamp`, read as UTC, or one of its special values.
///
/// Rows written through SQL may hold what the front end never writes: `infinity`, `-infinity`, years past 9999 or
/// before year 1 (Postgres accepts 4713 BC to 294276 AD). None of them makes a tool fail:
/// - `isoformat` is Python's `datetime.isoformat()` of the value where Python can represent it (years 1–9999), and
///   `nil` otherwise (the original could not render those either; `renewalDate` is `string|null` in the front end's
///   schema);
/// - `epochSeconds` orders every value, the special ones included, for the health score's days until renewal.
public enum RenewalDate: Sendable, Equatable {
    /// `-infinity`: earlier than any date.
    case distantPast
    /// A finite instant: whole seconds since 1970-01-01T00:00:00 (floored) and the microseconds within that second.
    case instant(seconds: Int64, microseconds: Int)
    /// `infinity`: later than any date.
    case distantFuture

    /// Parses Postgres' `extract(epoch FROM renewal_date)::text` (a `numeric`): `1799999523.187677`,
    /// `-62135596800.000000`, `Infinity`, `-Infinity`. `nil` for anything else.
    public init?(epochText: String) {
        switch epochText {
        case "Infinity": self = .distantFuture
        case "-Infinity": self = .distantPast
        default:
            var bytes = Substring(epochText).utf8[...]
            let negative = bytes.first == UInt8(ascii: "-")
            if negative { bytes = bytes.dropFirst() }
            let whole = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }
            var rest = bytes.dropFirst(whole.count)
            var fraction: Substring.UTF8View.SubSequence = rest.prefix(0)
            if rest.first == UInt8(ascii: ".") {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }
                rest = rest.dropFirst(fraction.count)
            }
            // Postgres' timestamps span under 10^13 seconds either side of the epoch: 15 digits is ample and
            // keeps the arithmetic below from overflowing.
            guard !whole.isEmpty, whole.count <= 15, rest.isEmpty else { return nil }
            var seconds: Int64 = 0
            for digit in whole { seconds = seconds * 10 + Int64(digit - 0x30) }
            var micros = 0
            for (index, digit) in fraction.prefix(6).enumerated() {
                micros += Int(digit - 0x30) * Self.powersOfTen[5 - index]
            }
            if negative {
                seconds = -seconds
                if micros > 0 {
                    seconds -= 1
                    micros = 1_000_000 - micros
                }
            }
            self = .instant(seconds: seconds, microseconds: micros)
        }
    }

    private static let powersOfTen = [1, 10, 100, 1000, 10000, 100_000]

    /// Seconds since the epoch, floored; `Int64.min` / `Int64.max` for `-infinity` / `infinity`.
    public var epochSeconds: Int64 {
        switch self {
        case .distantPast: .min
        case .instant(let seconds, _): seconds
        case .distantFuture: .max
        }
    }

    /// Python's `datetime.isoformat()`: `YYYY-MM-DDTHH:MM:SS`, with `.ffffff` (six digits) only when the
    /// microseconds are not zero. `nil` for the infinities and for years outside 1–9999.
    public var isoformat: String? {
        guard case .instant(let seconds, let micros) = self else { return nil }
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = Self.civil(daysSinceEpoch: days)
        guard (1...9999).contains(year) else { return nil }
        var text = Self.digits(year, 4) + "-" + Self.digits(month, 2) + "-" + Self.digits(day, 2) + "T"
        text += Self.digits(secondOfDay / 3600, 2) + ":" + Self.digits(secondOfDay / 60 % 60, 2) + ":" + Self.digits(secondOfDay % 60, 2)
        if micros != 0 { text += "." + Self.digits(micros, 6) }
        return text
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (astronomical years: 0 is 1 BC).
    static func civil(daysSinceEpoch: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func digits(_ value: some BinaryInteger, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
