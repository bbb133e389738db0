import Middleware
import Secrets
import Testing

@testable import Retention

/// `RETENTION_BATCH_SIZE`, read at initialization (the database is connected on first use only).
@Suite struct RetentionHandlerTests {
    func handler(batch: String?) throws(InitializationError) -> RetentionHandler {
        let values = ["DATABASE_URL": "postgresql://warden@127.0.0.1:1/warden"]
        let secrets = FunctionSecrets(environment: { values[$0] }, warning: { _ in })
        return try RetentionHandler(secrets: secrets) { $0 == "RETENTION_BATCH_SIZE" ? batch : nil }
    }

    @Test(arguments: [(String?.none, 500), ("", 500), ("1", 1), ("500", 500), ("10000", 10_000)])
    func batchSizes(_ setting: String?, _ size: Int) throws {
        #expect(try handler(batch: setting).batchSize == size)
    }

    @Test(arguments: ["0", "10001", "-1", "ten", "1.5", " 5", "99999999999999999999"])
    func anythingElseFailsTheInitialization(_ setting: String) {
        let error = #expect(throws: InitializationError.self, "\(setting)") { try handler(batch: setting) }
        #expect(error?.message == "Configuration error: RETENTION_BATCH_SIZE must be an integer from 1 to 10000")
    }
}
