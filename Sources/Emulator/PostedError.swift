/// An error document a runtime posted, with its resolved error type.
struct PostedError: Sendable {
    var type: String
    var body: [UInt8]
}
