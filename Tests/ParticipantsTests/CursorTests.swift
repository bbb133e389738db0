import Bytes
import Testing

@testable import Participants

/// The list's cursor and the export's: opaque base64url of an id, each refusing what it did not make.
@Suite struct CursorTests {
    /// `text` in base64url without padding, as a client could forge it.
    func forged(_ text: String) -> String { Base64.urlUnpadded.encode(Array(text.utf8)) }

    @Test func theListCursorIsTheIdsDecimalText() {
        #expect(Cursor.encode(1) == "MQ")
        #expect(Cursor.encode(42) == forged("42"))
    }

    @Test(arguments: [Int64(1), 42, 999_999_999_999_999_999, 1_000_000_000_000_000_000, Int64.max])
    func listCursorsRoundTrip(_ id: Int64) {
        #expect(Cursor.decode(Cursor.encode(id)) == id)
    }

    @Test func listCursorsAreBase64URLWithoutPadding() {
        for id in [Int64(1), 12, 123, 1234, Int64.max] {
            let cursor = Cursor.encode(id)
            #expect(cursor.utf8.allSatisfy { $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
        }
    }

    @Test func forgedListCursorsAreRefused() {
        let refused = [
            "", "MQ==", "MR", "M", "M Q", "MQ\n", "!!", forged("0"), forged("-1"), forged("+1"), forged(" 1"), forged("1.0"),
            forged("abc"), forged("9223372036854775808"), forged("export:1"), String(repeating: "MTEx", count: 9),
        ]
        for text in refused {
            #expect(Cursor.decode(text) == nil, "\(text)")
        }
    }

    @Test func theExportCursorNamesTheExport() {
        #expect(ExportCursor.encode(after: 1) == "ZXhwb3J0OjE")
        #expect(ExportCursor.encode(after: 1) == forged("export:1"))
    }

    @Test(arguments: [Int64(1), 500, 1_000_000_000_000_000_000, Int64.max])
    func exportCursorsRoundTrip(_ id: Int64) {
        let cursor = ExportCursor.encode(after: id)
        #expect(ExportCursor.decode(cursor) == id)
        // The longest (Int64.max) is 35 characters: the final line's reserve counts on it.
        #expect(cursor.utf8.count <= 35)
    }

    @Test func forgedExportCursorsAreRefused() {
        let refused = [
            "", "MQ", "ZXhwb3J0OjE=", "ZXhwb3J0OjF", forged("export:"), forged("export:0"), forged("export:-1"),
            forged("export:01"), forged("export:+1"), forged("export:1 "), forged(" export:1"), forged("Export:1"),
            forged("export:1:2"), forged("export:9223372036854775808"), forged("exports:1"), forged("1"),
            forged("export:" + String(repeating: "1", count: 40)),
        ]
        for text in refused {
            #expect(ExportCursor.decode(text) == nil, "\(text)")
        }
    }

    @Test func theTwoCursorsAreNotInterchangeable() {
        #expect(ExportCursor.decode(Cursor.encode(5)) == nil)
        #expect(Cursor.decode(ExportCursor.encode(after: 5)) == nil)
    }
}
