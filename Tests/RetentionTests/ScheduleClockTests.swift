import Testing

@testable import Retention

/// The sweep's "now" is the schedule event's `time`, parsed strictly.
@Suite struct ScheduleClockTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-23T03:00:00Z", 1_795_402_800_000),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ("2000-02-29T12:34:56.789Z", 951_827_696_789),
        ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        // Fractions are kept to the millisecond, never rounded up.
        ("2026-11-23T03:00:00.5Z", 1_795_402_800_500),
        ("2026-11-23T03:00:00.1239Z", 1_795_402_800_123),
        ("2026-11-23T03:00:00.999999999Z", 1_795_402_800_999),
        // Offsets: the same instant.
        ("2026-11-23T04:00:00+01:00", 1_795_402_800_000),
        ("2026-11-22T21:30:00-05:30", 1_795_402_800_000),
        ("2026-11-23T03:00:00.250+00:00", 1_795_402_800_250),
    ])
    func timestamps(_ text: String, _ milliseconds: Int64) {
        #expect(ScheduleClock.parse(text) == milliseconds)
    }

    @Test(arguments: [
        "", "2026-11-23", "2026-11-23T03:00Z", "2026-11-23T03:00:00", "2026-11-23 03:00:00Z", "2026-11-23t03:00:00Z",
        "2026-11-23T03:00:00z", "2026-11-23T03:00:60Z", "2026-11-23T24:00:00Z", "2026-11-23T03:60:00Z", "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-31T00:00:00Z", "2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
        "1969-12-31T23:59:59Z", "2026-11-23T03:00:00.Z", "2026-11-23T03:00:00.1234567890Z", "2026-11-23T03:00:00+0100",
        "2026-11-23T03:00:00+01", "2026-11-23T03:00:00+24:00", "2026-11-23T03:00:00+01:60", "2026-11-23T03:00:00Z ",
        " 2026-11-23T03:00:00Z", "2026-11-23T03:00:00ZZ", "+2026-11-23T03:00:00Z", "2026/11/23T03:00:00Z", "２026-11-23T03:00:00Z",
        "2026-11-23T03:00:00.000000000000000000000Z",
    ])
    func otherTextIsRefused(_ text: String) {
        #expect(ScheduleClock.parse(text) == nil)
    }

    @Test(arguments: [Int64(0), 1, 999, 86_399_999, 951_827_696_789, 1_795_402_800_123, 253_402_300_799_999])
    func theReportedFormParsesBack(_ milliseconds: Int64) {
        let clock = ScheduleClock(milliseconds: milliseconds)
        #expect(ScheduleClock.parse(clock.iso8601) == milliseconds)
    }

    @Test func theReportedForm() {
        #expect(ScheduleClock(milliseconds: 1_795_402_800_250).iso8601 == "2026-11-23T03:00:00.250Z")
        #expect(ScheduleClock(milliseconds: 0).iso8601 == "1970-01-01T00:00:00.000Z")
    }

    // MARK: Events

    static let now: Int64 = 1_795_402_800_000

    func clock(_ event: String, now: Int64 = now) throws(RetentionError) -> ScheduleClock {
        try ScheduleClock(event: Array(event.utf8), nowMilliseconds: now)
    }

    func refusal(_ event: String, now: Int64 = now) -> RetentionError? {
        #expect(throws: RetentionError.self, "\(event.prefix(80))") { try clock(event, now: now) }
    }

    @Test func aScheduleEvent() throws {
        let event = #"""
            {"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012",
             "time":"2026-11-23T03:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/r"],
             "detail":{}}
            """#
        #expect(try clock(event).milliseconds == Self.now)
        // Only `time` counts.
        #expect(try clock(#"{"time":"2026-11-23T02:00:00Z"}"#).milliseconds == Self.now - 3_600_000)
    }

    @Test func notAnObject() {
        for event in ["", "not json", "[]", #""2026-11-23T03:00:00Z""#, "null", #"{"time":"2026-11-23T03:00:00Z""#] {
            let error = refusal(event)
            #expect(error?.code == .invalidEvent && error?.message == "The event is not a JSON object.", "\(event)")
        }
    }

    @Test func aRepeatedMemberIsRefused() {
        let error = refusal(#"{"time":"2026-11-23T03:00:00Z","time":"2026-11-23T03:00:00Z"}"#)
        #expect(error?.code == .invalidEvent && error?.message == "The event is not a JSON object.")
    }

    @Test func anEventOver256KiBIsRefused() {
        let padding = String(repeating: "x", count: ScheduleClock.maxEventBytes)
        let error = refusal(#"{"time":"2026-11-23T03:00:00Z","detail":"\#(padding)"}"#)
        #expect(error?.message == "The event is not a JSON object.")
    }

    @Test func aValidTimeIsRequired() {
        let message = "The event has no valid `time` (an RFC 3339 timestamp such as 2026-11-23T03:00:00Z)."
        for event in [
            "{}", #"{"time":null}"#, #"{"time":1795402800}"#, #"{"time":"yesterday"}"#, #"{"Time":"2026-11-23T03:00:00Z"}"#,
            #"{"detail":{"time":"2026-11-23T03:00:00Z"}}"#,
        ] {
            let error = refusal(event)
            #expect(error?.code == .invalidEvent && error?.message == message, "\(event)")
        }
    }

    @Test func atMostFiveMinutesAhead() throws {
        let fiveMinutes = ScheduleClock.allowedSkewMilliseconds
        #expect(fiveMinutes == 300_000)
        #expect(try clock(#"{"time":"2026-11-23T03:05:00Z"}"#).milliseconds == Self.now + fiveMinutes)
        let error = refusal(#"{"time":"2026-11-23T03:05:00.001Z"}"#)
        #expect(error?.code == .invalidEvent && error?.message == "The event's `time` is in the future.")
        // The past has no bound: a replayed event sweeps as the original would have.
        #expect(try clock(#"{"time":"2020-01-01T00:00:00Z"}"#).milliseconds == 1_577_836_800_000)
    }

    @Test func theErrorAsLambdaReportsIt() {
        let error = RetentionError(.invalidEvent, "The event is not a JSON object.")
        #expect(error.lambdaErrorType == "Retention.InvalidEvent" && error.lambdaErrorMessage == "The event is not a JSON object.")
        #expect(error.description == "Retention.InvalidEvent: The event is not a JSON object.")
        #expect(RetentionError(.sweepFailed, "x").lambdaErrorType == "Retention.SweepFailed")
    }
}
