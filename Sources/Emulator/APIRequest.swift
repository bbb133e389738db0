/// A fully received HTTP request as the router sees it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    /// Header values by lowercase name (the first value when repeated).
    var headers: [String: String]
    /// The body, or as much of it as was kept (nothing once it exceeded the limit).
    var body: [UInt8]
    /// The body's full size, counted even past the limit.
    var receivedBytes: Int

    /// The value of `name` (case-insensitive).
    func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}
