internal import Middleware
internal import WardenJSON

/// The export's continuation cursor: base64url without padding of `export:<id>`, the id of the last participant a
/// partial answer carried. Opaque to clients, and distinct from the list's cursor (which counts downwards).
enum ExportCursor {
    private static let prefix = Array("export:".utf8)

    /// The cursor continuing after participant `id`.
    static func encode(after id: Int64) -> String {
        let standard = Base64.encode(prefix + Array(String(id).utf8)).utf8
        let url = standard.compactMap { byte -> UInt8? in
            switch byte {
            case 0x2B: 0x2D
            case 0x2F: 0x5F
            case 0x3D: nil
            default: byte
            }
        }
        return String(decoding: url, as: UTF8.self)
    }

    /// The id a cursor continues after, or `nil` unless `text` is exactly what `encode` makes for an id ≥ 1 (so no
    /// padding, no other alphabet, no leading zeros, no second spelling of the same cursor).
    static func decode(_ text: String) -> Int64? {
        guard !text.utf8.isEmpty, text.utf8.count <= 64,
            text.utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D
                    || byte == 0x5F
            })
        else { return nil }
        var standard = text.utf8.map { byte -> UInt8 in
            switch byte {
            case 0x2D: 0x2B
            case 0x5F: 0x2F
            default: byte
            }
        }
        while standard.count % 4 != 0 { standard.append(0x3D) }
        guard let bytes = Base64.decode(standard), bytes.count > prefix.count, bytes.starts(with: prefix),
            let id = ParticipantInput.decimal(String(decoding: bytes[prefix.count...], as: UTF8.self)), id > 0,
            encode(after: id) == text
        else { return nil }
        return id
    }
}
