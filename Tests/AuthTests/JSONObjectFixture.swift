import WardenJSON

/// Parses fixture JSON in tests.
enum JSONObjectFixture {
    static func object(_ text: String) -> JSONObject? {
        (try? JSON.parse(text))?.objectValue
    }
}
