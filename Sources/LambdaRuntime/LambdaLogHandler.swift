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
    /// The handler's metadata, one field per key, in the lines' order (byte order of the keys): a handful of fields,
    /// which an array holds, changes and merges with a record's for less than a dictionary.
    private var handlerFields: [LogField] = []
    /// What never changes, in one shared object: the handler then fits in an existential's inline buffer (three
    /// words), so a `Logger` copies it, per invocation, without allocating a box.
    private let output: Output

    private final class Output: Sendable {
        let format: LambdaLogFormat
        let label: String
        let sink: @Sendable ([UInt8]) -> Void

        init(format: LambdaLogFormat, label: String, sink: @escaping @Sendable ([UInt8]) -> Void) {
            self.format = format
            self.label = label
            self.sink = sink
        }
    }

    /// Creates a handler. `sink` receives each finished line (with its newline); standard output by default.
    public init(
        label: String,
        format: LambdaLogFormat,
        level: Logger.Level,
        sink: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        output = Output(format: format, label: label, sink: sink ?? { Platform.writeStandardOutput($0) })
        logLevel = level
    }

    public var metadata: Logger.Metadata {
        get {
            var metadata: Logger.Metadata = [:]
            for field in handlerFields { metadata[field.key] = field.metadataValue }
            return metadata
        }
        set {
            let fields = LineFields(record: newValue.map { LogField($0.key, $0.value) }, handler: [])
            handlerFields = fields.order.map { fields[$0] }
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { handlerFields.first { $0.key == key }?.metadataValue }
        set {
            let index = handlerFields.firstIndex { !LineFields.precedes($0.key, key) } ?? handlerFields.endIndex
            let present = index < handlerFields.endIndex && handlerFields[index].key == key
            switch (newValue, present) {
            case (let value?, true): handlerFields[index] = LogField(key, value)
            case (let value?, false): handlerFields.insert(LogField(key, value), at: index)
            case (nil, true): handlerFields.remove(at: index)
            case (nil, false): break
            }
        }
    }

    public func log(event: LogEvent) {
        var record: [LogField] = []
        if let metadata = event.metadata {
            record.reserveCapacity(metadata.count)
            for (key, value) in metadata { record.append(LogField(key, value)) }
        }
        write(event.level, event.message.description, record)
    }

    /// Writes one record of `fields` (unique keys) with the handler's metadata, a field of `fields` overriding the
    /// handler's field of the same key. The level was checked by the caller.
    func write(_ level: Logger.Level, _ message: String, _ record: [LogField]) {
        let fields = LineFields(record: record, handler: handlerFields)
        let now = Platform.nowMilliseconds()
        let message = LogRedaction.scrub(message)
        switch output.format {
        case .json: output.sink(jsonLine(now, level, message, fields))
        case .text: output.sink(textLine(now, level, message, fields))
        }
    }

    /// A line's fields: the record's, then those of the handler's metadata that no record field overrides, in the
    /// order to write them: byte order of the keys' UTF-8 (String's own order for the ASCII keys logs use, without
    /// its Unicode comparison). Positions are sorted rather than fields merged and moved: a line holds a handful.
    struct LineFields {
        let record: [LogField]
        let handler: [LogField]
        /// Positions in `record` followed by `handler`, in key order.
        private(set) var order: [Int] = []
        /// The request id, which leads the line rather than standing among the fields.
        private(set) var requestID: String?

        init(record: [LogField], handler: [LogField]) {
            self.record = record
            self.handler = handler
            order.reserveCapacity(record.count + handler.count)
            for position in record.indices { insert(position) }
            for (offset, field) in handler.enumerated() where !record.contains(where: { $0.key == field.key }) {
                insert(record.count + offset)
            }
            // A string `requestId` (a swift-log `.string` became `LogField.Value.string`).
            for position in order where key(position) == "requestId" {
                if case .string(let id) = self[position].value { requestID = id }
            }
        }

        subscript(position: Int) -> LogField {
            position < record.count ? record[position] : handler[position - record.count]
        }

        private func key(_ position: Int) -> String {
            position < record.count ? record[position].key : handler[position - record.count].key
        }

        /// Inserts `position` into `order` after the positions whose keys do not follow its key.
        private mutating func insert(_ position: Int) {
            let key = key(position)
            var index = order.count
            while index > 0, Self.precedes(key, self.key(order[index - 1])) { index -= 1 }
            order.insert(position, at: index)
        }

        /// Whether `a` comes before `b` in byte order of their UTF-8.
        static func precedes(_ a: String, _ b: String) -> Bool {
            var a = a
            var b = b
            return a.withUTF8 { a in
                b.withUTF8 { b in
                    for index in 0..<min(a.count, b.count) where a[index] != b[index] {
                        return a[index] < b[index]
                    }
                    return a.count < b.count
                }
            }
        }
    }

    private func jsonLine(_ now: Int64, _ level: Logger.Level, _ message: String, _ fields: LineFields) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        var ts: [UInt8] = []
        ts.reserveCapacity(24)
        Timestamp.appendISO8601(milliseconds: now, to: &ts)
        w.key("timestamp")
        w.string(String(decoding: ts, as: UTF8.self))
        w.key("level")
        w.string(Self.levelName(level))
        if let id = fields.requestID {
            w.key("requestId")
            w.string(id)
        }
        w.key("message")
        w.string(message)
        for position in fields.order {
            let field = fields[position]
            guard field.key != "requestId" else { continue }
            w.key(field.key)
            switch LogRedaction.redact(field) {
            case .string(let s): w.string(s)
            case .integer(let i): w.int(i)
            case .metadata(let value): Self.write(value, to: &w)
            }
        }
        w.endObject()
        var line = w.bytes
        line.append(0x0A)
        return line
    }

    private func textLine(_ now: Int64, _ level: Logger.Level, _ message: String, _ fields: LineFields) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(192)
        Timestamp.appendISO8601(milliseconds: now, to: &line)
        line.append(0x09)
        line.append(contentsOf: (fields.requestID ?? "-").utf8)
        line.append(0x09)
        line.append(contentsOf: Self.levelName(level).utf8)
        line.append(0x09)
        line.append(contentsOf: message.utf8)
        for position in fields.order {
            let field = fields[position]
            guard field.key != "requestId" else { continue }
            line.append(0x20)
            line.append(contentsOf: field.key.utf8)
            line.append(0x3D)
            switch LogRedaction.redact(field) {
            case .string(let s): line.append(contentsOf: s.utf8)
            case .integer(let i): line.appendDecimal(i)
            case .metadata(let value): Self.appendText(value, to: &line)
            }
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

/// A field of a log record, as `Logger.log(level:_:fields:)` takes them: what swift-log's metadata carries, with
/// integers as integers, and without a dictionary to build.
public struct LogField: Sendable {
    public enum Value: Sendable {
        case string(String)
        case integer(Int64)
        /// Any other swift-log value (never an `Int`, nor a `UInt64` that fits in `Int64`: those are `integer`);
        /// boxed, so that a field stays small to copy.
        indirect case metadata(Logger.Metadata.Value)
    }

    public let key: String
    public let value: Value

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = .string(value)
    }

    public init(_ key: String, integer: Int64) {
        self.key = key
        value = .integer(integer)
    }

    public init(_ key: String, integer: Int) {
        self.init(key, integer: Int64(integer))
    }

    /// A swift-log value; a number that fits in `Int64` becomes `integer`.
    public init(_ key: String, _ value: Logger.Metadata.Value) {
        self.key = key
        switch value {
        case .string(let s): self.value = .string(s)
        case .stringConvertible(let c):
            if let i = c as? Int {
                self.value = .integer(Int64(i))
            } else if let u = c as? UInt64, let i = Int64(exactly: u) {
                self.value = .integer(i)
            } else {
                self.value = .metadata(value)
            }
        case .array, .dictionary: self.value = .metadata(value)
        }
    }

    /// The value as swift-log metadata.
    public var metadataValue: Logger.Metadata.Value {
        switch value {
        case .string(let s): .string(s)
        case .integer(let i): .stringConvertible(i)
        case .metadata(let m): m
        }
    }
}

extension Logger {
    /// Logs `message` with `fields` (unique keys): handed straight to a `LambdaLogHandler` when that is this logger's
    /// handler (no metadata dictionary is built on the way), through swift-log as metadata otherwise. The line is the
    /// same as `log(level:_:metadata:)` writes.
    public func log(level: Logger.Level, _ message: String, fields: [LogField]) {
        guard level >= logLevel else { return }
        if let lambda = handler as? LambdaLogHandler {
            lambda.write(level, message, fields)
        } else {
            var metadata: Logger.Metadata = [:]
            for field in fields { metadata[field.key] = field.metadataValue }
            log(level: level, "\(message)", metadata: metadata)
        }
    }
}
