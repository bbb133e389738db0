/// An invocation event that is not an HTTP proxy event (API Gateway REST or HTTP API, Function URL). Its description
/// says nothing about the event's content.
public struct HTTPEventError: Error, Sendable, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "not an HTTP proxy event" }
}
