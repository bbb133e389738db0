import Logging
import Postgres
import Synchronization
import Testing

@testable import Middleware
@testable import LambdaRuntime

/// Keeps every record it is given, with its merged metadata, for the tests to read.
struct RecordingLogHandler: LogHandler {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    /// The records of every handler made by one `factory`, in order (swift-log may log from any thread).
    final class Sink: Sendable {
        private let stored = Mutex<[Record]>([])
        func append(_ record: Record) { stored.withLock { $0.append(record) } }
        var records: [Record] { stored.withLock { $0 } }
    }

    let sink: Sink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(sink: Sink) { self.sink = sink }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink.append(Record(level: event.level, message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }

    /// A logger whose records land in `sink`, tagged as the runtime tags an invocation's logger.
    static func logger(_ sink: Sink, tenantID: String?) -> Logger {
        var logger = Logger(label: "test", factory: { _ in RecordingLogHandler(sink: sink) })
        logger[metadataKey: "requestId"] = "req-1"
        if let tenantID { logger[metadataKey: "tenantId"] = .string(tenantID) }
        return logger
    }
}

/// `TenantMatch` (`LAMBDA_TENANT_MATCH`): reading the setting, comparing tenants, refusing.
@Suite struct TenantMatchTests {
    static func environment(_ value: String?) -> (String) -> String? {
        { $0 == "LAMBDA_TENANT_MATCH" ? value : nil }
    }

    static func context(tenantID: String?, sink: RecordingLogHandler.Sink = .init()) -> LambdaContext {
        LambdaContext(
            requestID: "req-1", deadlineMilliseconds: Int64.max, invokedFunctionARN: "arn:aws:lambda:eu-central-1:1:function:f",
            tenantID: tenantID, logger: RecordingLogHandler.logger(sink, tenantID: tenantID)
        )
    }

    static func tenant(_ id: String) throws -> TenantID { try #require(TenantID(id)) }

    @Test(arguments: [(String?.none, TenantMatch.off), ("", .off), ("off", .off), ("required", .required)])
    func setting(value: String?, expected: TenantMatch) throws {
        #expect(try TenantMatch.fromEnvironment(Self.environment(value)) == expected)
    }

    @Test(arguments: ["require", "Required", "REQUIRED", "on", "true", "1", " required", "required ", "off,required", "strict"])
    func anInvalidSettingFailsInitialization(value: String) {
        do {
            let match = try TenantMatch.fromEnvironment(Self.environment(value))
            Issue.record("accepted LAMBDA_TENANT_MATCH=\(value) as \(match)")
        } catch {
            // The message names the setting and its values, never the value given.
            #expect(error.message == "Configuration error: LAMBDA_TENANT_MATCH must be off or required")
            #expect(error.lambdaErrorType == "Runtime.ConfigurationError")
        }
    }

    @Test func offComparesNothing() throws {
        let acme = try Self.tenant("org_acme")
        for lambda in [nil, "org_acme", "org_globex", ""] as [String?] {
            #expect(TenantMatch.off.mismatch(authenticated: acme, lambdaTenant: lambda) == nil)
        }
        #expect(throws: Never.self) { try TenantMatch.off.check(acme, context: Self.context(tenantID: "org_globex")) }
        #expect(throws: Never.self) { try TenantMatch.off.check(acme, context: Self.context(tenantID: nil)) }
    }

    @Test func requiredServesOnlyTheSameTenant() throws {
        let acme = try Self.tenant("org_acme")
        #expect(TenantMatch.required.mismatch(authenticated: acme, lambdaTenant: "org_acme") == nil)
        #expect(TenantMatch.required.mismatch(authenticated: try Self.tenant("public"), lambdaTenant: "public") == nil)
        #expect(TenantMatch.required.mismatch(authenticated: acme, lambdaTenant: nil) == .noLambdaTenant)
        #expect(TenantMatch.required.mismatch(authenticated: acme, lambdaTenant: "") == .noLambdaTenant)
        // Byte for byte: no case folding, no trimming, no Unicode normalization, no prefix match.
        let composed = try Self.tenant("org_caf\u{E9}"), decomposed = "org_cafe\u{301}"
        for other in ["org_globex", "ORG_ACME", "org_acme ", " org_acme", "org_acm", "org_acme2", "org_acme\u{0}"] {
            #expect(TenantMatch.required.mismatch(authenticated: acme, lambdaTenant: other) == .differentTenant, "\(other)")
        }
        #expect(TenantMatch.required.mismatch(authenticated: composed, lambdaTenant: decomposed) == .differentTenant)
        #expect(TenantMatch.required.mismatch(authenticated: composed, lambdaTenant: "org_caf\u{E9}") == nil)
    }

    @Test func aRefusalIsForbiddenRevealsNothingAndLogsItsReason() throws {
        let acme = try Self.tenant("org_acme")
        for (lambda, reason) in [("org_globex", "authenticated tenant differs from Lambda's tenant id"), (nil, "no Lambda tenant id")] as [(String?, String)] {
            let sink = RecordingLogHandler.Sink()
            let context = Self.context(tenantID: lambda, sink: sink)
            #expect(throws: EnvelopeError(.forbidden, "This request may not be served here.")) {
                try TenantMatch.required.check(acme, context: context)
            }
            #expect(TenantMatch.refusal.code.status == 403)
            #expect(!TenantMatch.refusal.message.contains("org_"))
            let records = sink.records
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(record.level == .warning && record.message == "tenant isolation: request refused")
            #expect(record.metadata["reason"] == .string(reason))
            // Lambda's tenant is on the record through the invocation's logger; the authenticated one is not logged.
            #expect(record.metadata["tenantId"] == lambda.map { .string($0) })
            #expect(!record.metadata.values.contains { "\($0)".contains("org_acme") })
        }
        let sink = RecordingLogHandler.Sink()
        #expect(throws: Never.self) { try TenantMatch.required.check(acme, context: Self.context(tenantID: "org_acme", sink: sink)) }
        #expect(sink.records.isEmpty)
    }
}
