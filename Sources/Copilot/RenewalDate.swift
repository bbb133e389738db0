internal import LambdaRuntime

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
        let c = Timestamp.civil(seconds: seconds)
        guard (1...9999).contains(c.year) else { return nil }
        var text = Self.digits(c.year, 4) + "-" + Self.digits(c.month, 2) + "-" + Self.digits(c.day, 2) + "T"
        text += Self.digits(c.hour, 2) + ":" + Self.digits(c.minute, 2) + ":" + Self.digits(c.second, 2)
        if micros != 0 { text += "." + Self.digits(micros, 6) }
        return text
    }

    private static func digits(_ value: some BinaryInteger, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
