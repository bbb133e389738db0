internal import Platform
internal import Postgres

/// When an invocation must have answered: milliseconds since the Unix epoch, as Lambda gives it.
public struct Deadline: Sendable, Hashable, Comparable {
    /// Milliseconds since the Unix epoch.
    public let milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// What statements and other waits must finish by: the deadline less the time kept back for answering after
    /// a cancelled statement (`Database.deadlineReserveMilliseconds`).
    public var forWork: Int64 { milliseconds - Database.deadlineReserveMilliseconds }

    /// The deadline less `reserve` milliseconds.
    public func minus(_ reserve: Int64) -> Int64 { milliseconds - reserve }

    /// Milliseconds left now (negative once passed).
    public var remainingMilliseconds: Int64 { milliseconds - Platform.nowMilliseconds() }

    public static func < (a: Deadline, b: Deadline) -> Bool { a.milliseconds < b.milliseconds }
}
