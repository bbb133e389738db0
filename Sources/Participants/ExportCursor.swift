internal import Bytes

/// The export's continuation cursor: base64url without padding of `export:<id>`, the id of the last participant a
/// partial answer carried. Opaque to clients, and distinct from the list's cursor (which counts downwards).
enum ExportCursor {
    private static let prefix = Array("export:".utf8)

    /// The cursor continuing after participant `id`.
    static func encode(after id: Int64) -> String {
        Base64.urlUnpadded.encode(prefix + Array(String(id).utf8))
    }

    /// The id a cursor continues after, or `nil` unless `text` is exactly what `encode` makes for an id ≥ 1 (so no
    /// padding, no other alphabet, no leading zeros, no second spelling of the same cursor).
    static func decode(_ text: String) -> Int64? {
        guard !text.utf8.isEmpty, text.utf8.count <= 64, let bytes = Base64.urlUnpadded.decode(text), bytes.count > prefix.count,
            bytes.starts(with: prefix),
            let id = ParticipantInput.decimal(String(decoding: bytes[prefix.count...], as: UTF8.self)), id > 0,
            encode(after: id) == text
        else { return nil }
        return id
    }
}
