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
}
