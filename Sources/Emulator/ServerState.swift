import NIOCore

/// The listening channel, open connections and accept loop of a ``RuntimeAPIServer``.
struct ServerState: Sendable {
    var listener: (any Channel)?
    var connections: [ObjectIdentifier: any Channel] = [:]
    var acceptTask: Task<Void, Never>?
}
