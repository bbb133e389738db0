internal import Bytes

/// RFC 3339 / ISO 8601 UTC timestamps without Foundation.
public enum Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` for `milliseconds` since the Unix epoch.
    public static func iso8601(milliseconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        appendISO8601(milliseconds: milliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` to `out`.
    public static func appendISO8601(milliseconds: Int64, to out: inout [UInt8]) {
        let (seconds, millis) = floorDivide(milliseconds, 1000)
        let c = civil(seconds: seconds)
        if (0...9999).contains(c.year) {
            appendDigits(c.year / 100, to: &out)
            appendDigits(c.year % 100, to: &out)
        } else {
            out.appendDecimal(c.year, minimumDigits: 4)
        }
        out.append(0x2D)
        appendDigits(c.month, to: &out)
        out.append(0x2D)
        appendDigits(c.day, to: &out)
        out.append(0x54)
        appendDigits(c.hour, to: &out)
        out.append(0x3A)
        appendDigits(c.minute, to: &out)
        out.append(0x3A)
        appendDigits(c.second, to: &out)
        out.append(0x2E)
        out.append(UInt8(truncatingIfNeeded: 0x30 + millis / 100))
        appendDigits(millis % 100, to: &out)
        out.append(0x5A)
    }

    /// Appends the two decimal digits of `value` (0...99).
    @inline(__always)
    private static func appendDigits(_ value: Int64, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: 0x30 + value / 10))
        out.append(UInt8(truncatingIfNeeded: 0x30 + value % 10))
    }

    /// Calendar fields of a UTC instant (proleptic Gregorian; Howard Hinnant's days-from-civil inverse).
    public static func civil(seconds: Int64) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
