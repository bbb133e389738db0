import Logging
import Synchronization
import Testing

@testable import LambdaRuntime

@Suite struct LambdaLogHandlerTests {
    /// Lines written by a handler with `metadata` of its own, for one record with `record`.
    private func lines(_ handlerMetadata: Logger.Metadata, _ record: Logger.Metadata?) -> [String] {
        let collected = Mutex<[String]>([])
        for format in [LambdaLogFormat.text, .json] {
            var handler = LambdaLogHandler(label: "t", format: format, level: .info) { bytes in
                collected.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
            }
            handler.metadata = handlerMetadata
            let logger = Logger(label: "t") { _ in handler }
            logger.info("request", metadata: record)
        }
        return collected.withLock { $0 }
    }

    @Test func theRecordsFieldsOverrideTheHandlersAndKeysFollowByteOrder() {
        let written = lines(
            ["requestId": "req-9", "tool": "from_handler", "b": "handler-only"],
            ["tool": "from_record", "Z": "upper", "a.b": "dotted", "durationUs": .stringConvertible(UInt64(42))]
        )
        #expect(written.count == 2)
        let text = written[0]
        // Text: timestamp, request id, level, message, then key=value in byte order ('Z' < 'a' < 'b' < 'd' < 't').
        let parts = text.split(separator: "\t")
        #expect(parts.count == 4, "\(text)")
        #expect(parts.dropFirst().first == "req-9")
        #expect(parts.last == "request Z=upper a.b=dotted b=handler-only durationUs=42 tool=from_record\n", "\(text)")
        let json = written[1]
        #expect(json.contains(#""level":"INFO","requestId":"req-9","message":"request","Z":"upper","a.b":"dotted","b":"handler-only","durationUs":42,"tool":"from_record"}"#), "\(json)")
        #expect(!json.contains("from_handler") && !text.contains("from_handler"))
    }

    @Test func numbersAreWrittenAsTheirDescriptions() {
        for value in [0, 7, -7, 10, 99, 100, 1_000_000, Int.max, Int.min] {
            let written = lines([:], ["n": .stringConvertible(value)])
            #expect(written[0].hasSuffix("request n=\(value)\n"), "\(written[0])")
            #expect(written[1].contains(#""n":\#(value)}"#), "\(written[1])")
        }
        for value in [UInt64(0), 9, UInt64(Int64.max) + 1, .max] {
            let written = lines([:], ["u": .stringConvertible(value)])
            #expect(written[0].hasSuffix("request u=\(value)\n"), "\(written[0])")
        }
    }

    @Test func aLineWithoutRequestIDOrRecordMetadata() {
        let written = lines(["tool": "t1"], nil)
        #expect(written[0].split(separator: "\t").dropFirst().first == "-")
        #expect(written[0].hasSuffix("\tINFO\trequest tool=t1\n"), "\(written[0])")
        #expect(written[1].contains(#""message":"request","tool":"t1"}"#), "\(written[1])")
    }

    /// Lines written for one record given as fields (`Logger.log(level:_:fields:)`), text then JSON.
    private func fieldLines(_ handlerMetadata: Logger.Metadata, _ fields: [LogField], level: Logger.Level = .info) -> [String] {
        let collected = Mutex<[String]>([])
        for format in [LambdaLogFormat.text, .json] {
            var handler = LambdaLogHandler(label: "t", format: format, level: .info) { bytes in
                collected.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
            }
            handler.metadata = handlerMetadata
            Logger(label: "t") { _ in handler }.log(level: level, "request", fields: fields)
        }
        return collected.withLock { $0 }
    }

    /// A line without its timestamp (text: up to the first tab; JSON: up to the first comma).
    private func untimed(_ line: String) -> Substring {
        line.drop { $0 != "\t" && $0 != "," }
    }

    @Test func fieldsWriteTheLineMetadataWrites() {
        let handler: Logger.Metadata = ["requestId": "req-9", "tool": "from_handler", "b": "handler-only", "tenantId": "t-1"]
        let viaFields = fieldLines(handler, [
            LogField("tool", "from_record"), LogField("status", integer: 503), LogField("durationUs", integer: -7),
            LogField("note", "mail ann@example.com"), LogField("authorization", integer: 12), LogField("u", .stringConvertible(UInt64.max)),
            LogField("list", .array(["x", .stringConvertible(3)])),
        ])
        let viaMetadata = lines(handler, [
            "tool": "from_record", "status": .stringConvertible(503), "durationUs": .stringConvertible(-7),
            "note": "mail ann@example.com", "authorization": .stringConvertible(12), "u": .stringConvertible(UInt64.max),
            "list": .array(["x", .stringConvertible(3)]),
        ])
        #expect(viaFields.map(untimed) == viaMetadata.map(untimed))
        #expect(viaFields[0].hasSuffix(
            "request authorization=[REDACTED] b=handler-only durationUs=-7 list=[\"x\", \"3\"] note=mail [REDACTED] status=503 tenantId=t-1 tool=from_record u=18446744073709551615\n"
        ), "\(viaFields[0])")
        #expect(viaFields[1].contains(
            #""requestId":"req-9","message":"request","authorization":"[REDACTED]","b":"handler-only","durationUs":-7,"#
                + #""list":["x",3],"note":"mail [REDACTED]","status":503,"tenantId":"t-1","tool":"from_record","#
                + #""u":"18446744073709551615"}"#
        ), "\(viaFields[1])")
    }

    @Test func handlerMetadataSetKeyByKeyIsWrittenInKeyOrder() {
        let collected = Mutex<[String]>([])
        var handler = LambdaLogHandler(label: "t", format: .text, level: .info) { bytes in
            collected.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
        }
        handler[metadataKey: "b"] = "2"
        handler[metadataKey: "requestId"] = "req-1"
        handler[metadataKey: "a"] = "1"
        handler[metadataKey: "c"] = "3"
        handler[metadataKey: "b"] = "two"
        handler[metadataKey: "c"] = nil
        handler[metadataKey: "zz"] = nil
        #expect(handler.metadata == ["a": "1", "b": "two", "requestId": "req-1"])
        #expect(handler[metadataKey: "b"] == "two" && handler[metadataKey: "c"] == nil)
        Logger(label: "t") { _ in handler }.info("hi", metadata: ["aa": "x"])
        #expect(collected.withLock { $0 }.first?.hasSuffix("\treq-1\tINFO\thi a=1 aa=x b=two\n") == true, "\(collected.withLock { $0 })")
    }

    @Test func fieldsBelowTheLevelWriteNothing() {
        #expect(fieldLines([:], [LogField("a", "b")], level: .debug).isEmpty)
        #expect(fieldLines([:], [LogField("a", "b")], level: .warning).count == 2)
    }

    @Test func fieldsReachAnotherHandlerAsMetadata() {
        let seen = Seen()
        let logger = Logger(label: "t") { _ in CapturingHandler(seen: seen) }
        logger.log(level: .info, "request", fields: [LogField("status", integer: 200), LogField("tool", "x")])
        #expect(seen.records.withLock { $0 } == [["status": .stringConvertible(Int64(200)), "tool": "x"]])
    }
}

private final class Seen: Sendable {
    let records = Mutex<[Logger.Metadata]>([])
}

/// A handler that keeps each record's metadata.
private struct CapturingHandler: LogHandler {
    let seen: Seen
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        seen.records.withLock { $0.append(event.metadata ?? [:]) }
    }
}

