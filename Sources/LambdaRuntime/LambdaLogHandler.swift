internal import Bytes
public import Logging
internal import Platform
internal import WardenJSON

/// The log line format Lambda's advanced logging controls select (`AWS_LAMBDA_LOG_FORMAT`).
public enum LambdaLogFormat: Sendable {
    case json
    case text

    /// Reads `AWS_LAMBDA_LOG_FORMAT` (`JSON` or `Text`, case-insensitive; default Text as Lambda's).
    public static func fromEnvironment(_ value: String?) -> LambdaLogFormat {
        value?.lowercased() == "json" ? .json : .text
    }
}

/// Maps `AWS_LAMBDA_LOG_LEVEL` (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) to a swift-log level; INFO by default.
public func lambdaLogLevel(_ value: String?) -> Logger.Level {
    switch value?.uppercased() {
    case "TRACE": .trace
    case "DEBUG": .debug
    case "WARN", "WARNING": .warning
    case "ERROR": .error
    case "FATAL", "CRITICAL": .critical
    default: .info
    }
}

/// A swift-log handler that writes one line per record to standard output, as JSON or Lambda's text format,
/// and redacts sensitive values itself so no caller can leak them by accident (see `LogRedaction`).
public struct LambdaLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let format: LambdaLogFormat
    private let label: String
    private let sink: @Sendable ([UInt8]) -> Void

    /// Creates a handler. `sink` receives each finished line (with its newline); standard output by default.
    public init(
        label: String,
        format: LambdaLogFormat,
        level: Logger.Level,
        sink: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink ?? { Platform.writeStandardOutput($0) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let fields = Self.fields(metadata, event.metadata)
        let now = Platform.nowMilliseconds()
        let message = LogRedaction.scrub(event.message.description)
        switch format {
        case .json: sink(jsonLine(now, event.level, message, fields))
        case .text: sink(textLine(now, event.level, message, fields))
        }
    }

    /// One record's metadata field.
    typealias Field = (key: String, value: Logger.Metadata.Value)

    /// The handler's metadata overridden by the record's, in byte order of the keys' UTF-8 (String's own order for
    /// the ASCII keys logs use, without its Unicode comparison): an array rather than a merged dictionary, since a
    /// line holds a handful of fields.
    static func fields(_ handler: Logger.Metadata, _ record: Logger.Metadata?) -> [Field] {
        var fields: [Field] = []
        fields.reserveCapacity(handler.count + (record?.count ?? 0))
        if let record {
            for (key, value) in handler where record[key] == nil { fields.append((key, value)) }
            for (key, value) in record { fields.append((key, value)) }
        } else {
            for (key, value) in handler { fields.append((key, value)) }
        }
        fields.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return fields
    }

    /// The request id, which leads the line rather than standing among the fields.
    private static func requestID(_ fields: [Field]) -> String? {
        for field in fields where field.key == "requestId" {
            if case .string(let id) = field.value { return id }
        }
        return nil
    }

    private func jsonLine(_ now: Int64, _ level: Logger.Level, _ message: String, _ fields: [Field]) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        var ts: [UInt8] = []
        ts.reserveCapacity(24)
        Timestamp.appendISO8601(milliseconds: now, to: &ts)
        w.key("timestamp")
        w.string(String(decoding: ts, as: UTF8.self))
        w.key("level")
        w.string(Self.levelName(level))
        if let id = Self.requestID(fields) {
            w.key("requestId")
            w.string(id)
        }
        w.key("message")
        w.string(message)
        for field in fields where field.key != "requestId" {
            w.key(field.key)
            Self.write(LogRedaction.redact(key: field.key, value: field.value), to: &w)
        }
        w.endObject()
        var line = w.bytes
        line.append(0x0A)
        return line
    }

    private func textLine(_ now: Int64, _ level: Logger.Level, _ message: String, _ fields: [Field]) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(192)
        Timestamp.appendISO8601(milliseconds: now, to: &line)
        line.append(0x09)
        if let id = Self.requestID(fields) { line.append(contentsOf: id.utf8) } else { line.append(contentsOf: "-".utf8) }
        line.append(0x09)
        line.append(contentsOf: Self.levelName(level).utf8)
        line.append(0x09)
        line.append(contentsOf: message.utf8)
        for field in fields where field.key != "requestId" {
            line.append(0x20)
            line.append(contentsOf: field.key.utf8)
            line.append(0x3D)
            Self.appendText(LogRedaction.redact(key: field.key, value: field.value), to: &line)
        }
        // One record is one line: newlines inside values would let input forge records.
        for i in line.indices where line[i] == 0x0A || line[i] == 0x0D { line[i] = 0x20 }
        line.append(0x0A)
        return line
    }

    /// `value` as the text format writes it (its `description`), appended without building an intermediate string
    /// for the common cases: text and numbers.
    private static func appendText(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let s): line.append(contentsOf: s.utf8)
        case .stringConvertible(let c):
            if let i = c as? Int {
                line.appendDecimal(Int64(i))
            } else if let u = c as? UInt64 {
                line.appendDecimal(u)
            } else {
                line.append(contentsOf: c.description.utf8)
            }
        case .array, .dictionary: line.append(contentsOf: value.description.utf8)
        }
    }

    private static func write(_ value: Logger.Metadata.Value, to w: inout JSONWriter) {
        switch value {
        case .string(let s): w.string(s)
        case .stringConvertible(let c):
            // Numbers stay numbers, so log queries can compare them.
            if let i = c as? Int { w.int(i) } else if let u = c as? UInt64, let i = Int64(exactly: u) { w.int(i) } else { w.string(c.description) }
        case .array(let items):
            w.beginArray()
            for item in items { write(item, to: &w) }
            w.endArray()
        case .dictionary(let dict):
            w.beginObject()
            for key in dict.keys.sorted() {
                guard let item = dict[key] else { continue }
                w.key(key)
                write(item, to: &w)
            }
            w.endObject()
        }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }
}
