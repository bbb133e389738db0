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

    public var metadata: Logger.Metadata {
        get {
            var metadata: Logger.Metadata = [:]
            for field in handlerFields { metadata[field.key] = field.metadataValue }
            return metadata
        }
        set {
            let fields = newValue.map { LogField($0.key, $0.value) }
            handlerFields = Self.orderByKey(fields).map { fields[$0] }
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { handlerFields.first { $0.key == key }?.metadataValue }
        set {
            let index = handlerFields.firstIndex { !$0.key.utf8.lexicographicallyPrecedes(key.utf8) } ?? handlerFields.endIndex
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
            record.reserveCapacity(metadata.count + handlerFields.count)
            for (key, value) in metadata { record.append(LogField(key, value)) }
        }
        write(event.level, event.message.description, record)
    }

    /// Writes one record of `fields` (unique keys) with the handler's metadata, a field of `fields` overriding the
    /// handler's field of the same key. The level was checked by the caller.
    func write(_ level: Logger.Level, _ message: String, _ record: [LogField]) {
        let (fields, order) = Self.fields(handlerFields, record)
        let now = Platform.nowMilliseconds()
        let message = LogRedaction.scrub(message)
        switch format {
        case .json: sink(jsonLine(now, level, message, fields, order))
        case .text: sink(textLine(now, level, message, fields, order))
        }
    }

    /// The handler's metadata overridden by the record's fields, and the order to write them in: byte order of the
    /// keys' UTF-8 (String's own order for the ASCII keys logs use, without its Unicode comparison). Arrays rather
    /// than a merged dictionary, and positions sorted rather than fields moved, since a line holds a handful.
    static func fields(_ handler: [LogField], _ record: [LogField]) -> (fields: [LogField], order: [Int]) {
        var fields = record
        fields.reserveCapacity(record.count + handler.count)
        for field in handler where !record.contains(where: { $0.key == field.key }) {
            fields.append(field)
        }
        return (fields, orderByKey(fields))
    }

    /// The positions of `fields` in byte order of their keys (an insertion sort).
    static func orderByKey(_ fields: [LogField]) -> [Int] {
        var order = Array(fields.indices)
        for i in order.indices.dropFirst() {
            let moving = order[i]
            var j = i
            while j > 0, fields[moving].key.utf8.lexicographicallyPrecedes(fields[order[j - 1]].key.utf8) {
                order[j] = order[j - 1]
                j -= 1
            }
            order[j] = moving
        }
        return order
    }

    /// The request id, which leads the line rather than standing among the fields.
    private static func requestID(_ fields: [LogField]) -> String? {
        for field in fields where field.key == "requestId" {
            if case .string(let id) = field.value { return id }
            if case .metadata(.string(let id)) = field.value { return id }
        }
        return nil
    }

    private func jsonLine(_ now: Int64, _ level: Logger.Level, _ message: String, _ fields: [LogField], _ order: [Int]) -> [UInt8] {
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
        for i in order where fields[i].key != "requestId" {
            let field = fields[i]
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

    private func textLine(_ now: Int64, _ level: Logger.Level, _ message: String, _ fields: [LogField], _ order: [Int]) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(192)
        Timestamp.appendISO8601(milliseconds: now, to: &line)
        line.append(0x09)
        if let id = Self.requestID(fields) { line.append(contentsOf: id.utf8) } else { line.append(contentsOf: "-".utf8) }
        line.append(0x09)
        line.append(contentsOf: Self.levelName(level).utf8)
        line.append(0x09)
        line.append(contentsOf: message.utf8)
        for i in order where fields[i].key != "requestId" {
            let field = fields[i]
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
