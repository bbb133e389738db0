import Postgres
import Testing

@testable import Participants

/// The six statements that return participants write their select list out (a statement is a literal): each must be
/// `ParticipantRow.columns`, in order.
@Suite struct ParticipantSQLTests {
    struct Statement: Sendable, CustomTestStringConvertible {
        let name: String
        let sql: SQL
        /// The table alias the select list qualifies its columns with (`RETURNING p.id, …`).
        let qualifier: String
        var testDescription: String { name }
    }

    static let participantStatements = [
        Statement(name: "list", sql: ParticipantSQL.list, qualifier: ""),
        Statement(name: "select", sql: ParticipantSQL.select, qualifier: ""),
        Statement(name: "exportPage", sql: ParticipantSQL.exportPage, qualifier: ""),
        Statement(name: "insert", sql: ParticipantSQL.insert, qualifier: "p."),
        Statement(name: "update", sql: ParticipantSQL.update, qualifier: "p."),
        Statement(name: "erase", sql: ParticipantSQL.erase, qualifier: "p."),
    ]

    /// The select list `columns` describes, with `qualifier` before each column name.
    static func expected(_ qualifier: String) -> [String] {
        ParticipantRow.columns.map { column in
            switch column.kind {
            case .timestamp: #"to_char(\#(qualifier)\#(column.name) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#
            case .integer, .boolean, .double, .text: qualifier + column.name
            }
        }
    }

    @Test(arguments: participantStatements)
    func selectsTheParticipantRow(_ statement: Statement) throws {
        let list = try #require(Self.selectList(statement.sql))
        #expect(list == Self.expected(statement.qualifier))
    }

    @Test func theHistoryHasTheFiveColumnsItsJSONReads() throws {
        let list = try #require(Self.selectList(ParticipantSQL.history))
        #expect(list.count == 5 && list.first == "id" && list.last?.hasPrefix("to_char(created_at") == true)
    }

    @Test func theCheckSeesADifference() throws {
        // The parser itself: a list with one column missing or moved does not pass.
        let moved = try #require(Self.selectList(SQL("SELECT organization_id, id FROM meeting_participants")))
        #expect(moved == ["organization_id", "id"])
        #expect(moved != Array(Self.expected("").prefix(2)))
        let returning = try #require(Self.selectList(SQL("UPDATE t AS p SET a = 1 RETURNING p.id, to_char(p.x, 'a,b')")))
        #expect(returning == ["p.id", "to_char(p.x, 'a,b')"])
    }

    // MARK: Reading a statement's select list

    /// The expressions after `RETURNING` (to the end), else between the first `SELECT` and the next `FROM`, split at
    /// the commas outside parentheses and quotes, with runs of white space as one space.
    static func selectList(_ sql: SQL) -> [String]? {
        var text: [UInt8] = []
        sql.text.withUTF8Buffer { buffer in
            for byte in buffer {
                let blank = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
                if blank {
                    if text.last != 0x20 { text.append(0x20) }
                } else {
                    text.append(byte)
                }
            }
        }
        let list: ArraySlice<UInt8>
        if let returning = find(Array(" RETURNING ".utf8), in: text[...]) {
            list = text[returning.upperBound...]
        } else {
            guard let select = find(Array("SELECT ".utf8), in: text[...]),
                let from = find(Array(" FROM ".utf8), in: text[select.upperBound...])
            else { return nil }
            list = text[select.upperBound..<from.lowerBound]
        }
        var items: [String] = []
        var current: [UInt8] = []
        var depth = 0
        var quoted = false
        for byte in list {
            switch byte {
            case UInt8(ascii: "'"): quoted.toggle()
            case UInt8(ascii: "(") where !quoted: depth += 1
            case UInt8(ascii: ")") where !quoted: depth -= 1
            case UInt8(ascii: ",") where !quoted && depth == 0:
                items.append(trimmed(current))
                current = []
                continue
            default: break
            }
            current.append(byte)
        }
        items.append(trimmed(current))
        return items
    }

    static func find(_ needle: [UInt8], in hay: ArraySlice<UInt8>) -> Range<Int>? {
        guard hay.count >= needle.count else { return nil }
        for start in hay.startIndex...(hay.endIndex - needle.count) where hay[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }

    static func trimmed(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed(), as: UTF8.self)
    }
}
