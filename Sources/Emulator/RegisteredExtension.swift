/// An internal extension registered through the Extensions API (`POST /2020-01-01/extension/register`) by the
/// current function process, with the events waiting for its next `GET /2020-01-01/extension/event/next`.
struct RegisteredExtension: Sendable {
    /// `Lambda-Extension-Identifier`: a UUID the extension names itself with on every later call.
    var id: String
    /// `Lambda-Extension-Name` as registered.
    var name: String
    /// Whether it registered for `INVOKE` (internal extensions cannot register for `SHUTDOWN`).
    var receivesInvokes: Bool
    /// `INVOKE` event documents not yet fetched.
    var pendingEvents: [[UInt8]] = []
}
