import Middleware
import Testing
import WardenJSON

@testable import Enrichment

/// The worker's batch setting, its audit action and its answer.
@Suite struct EnrichmentWorkerTests {
    @Test(arguments: [("1", 1), ("250", 250), ("1000", 1000)])
    func batchSizes(_ setting: String, _ size: Int) throws {
        #expect(try EnrichmentWorker.batchSize { $0 == "ENRICHMENT_WORKER_BATCH" ? setting : nil } == size)
    }

    /// Anything but a whole number from 1 to 1000 fails the initialization (never a silent default).
    @Test(arguments: ["0", "1001", "-5", "ten", "2.5", " 5"])
    func anythingElseFailsTheInitialization(_ setting: String) {
        #expect(throws: InitializationError.self) {
            try EnrichmentWorker.batchSize { $0 == "ENRICHMENT_WORKER_BATCH" ? setting : nil }
        }
    }

    @Test func unsetOrEmptyIsTheDefault() throws {
        #expect(try EnrichmentWorker.batchSize { _ in nil } == 100)
        #expect(try EnrichmentWorker.batchSize { _ in "" } == 100)
    }

    @Test func theRunsAuditActionListsTheCountsInNameOrder() {
        let counts: [String: Int64] = ["due": 3, "attempted": 2, "waiting": 1, "calls": 4, "errors": 0, "succeeded": 2]
        #expect(EnrichmentWorker.runAction(counts) == "run attempted=2 calls=4 due=3 errors=0 succeeded=2 waiting=1")
        let many = Dictionary(uniqueKeysWithValues: (0..<40).map { ("status\($0)", Int64.max) })
        let action = EnrichmentWorker.runAction(many)
        #expect(action.count == 200 && action.hasPrefix("run status0=9223372036854775807 status1="))
    }

    @Test func theAnswer() throws {
        let reply = EnrichmentWorker.reply(["waiting": 1, "due": 2, "retry": 1])
        #expect(String(decoding: reply, as: UTF8.self) == #"{"ok":true,"data":{"due":2,"retry":1,"waiting":1},"error":null}"#)
        #expect(String(decoding: EnrichmentWorker.reply([:]), as: UTF8.self) == #"{"ok":true,"data":{},"error":null}"#)
    }
}
