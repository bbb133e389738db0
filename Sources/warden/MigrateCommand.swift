import ArgumentParser
import Foundation
import Postgres
import WardenSchema

/// `warden migrate`: applies Warden's migrations to `DATABASE_URL` (optionally seeding the demo data).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply Warden's migrations to DATABASE_URL.",
        discussion: "Creates the copilot tables when absent and otherwise adds only what is missing."
    )

    @Option(name: .customLong("database-url"), help: "Database URL (default: $DATABASE_URL).")
    var databaseURL: String?

    @Flag(help: "Also load the demo data (tenant `public` and owner `\(DemoData.namedOwner)`).")
    var seed = false

    /// `--database-url`, else `$DATABASE_URL`.
    static func url(_ option: String?) throws -> String {
        guard let url = option ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("DATABASE_URL is not set (or pass --database-url).")
        }
        return url
    }

    func run() throws {
        let database = try Database(url: try Self.url(databaseURL))
        let applied: [Int]
        do {
            applied = try Migrations.apply(to: database)
        } catch {
            // An operator's tool: the server's message says which migration refused and why (e.g. migration 13's
            // count of participants whose addresses collide once folded), never a secret.
            FileHandle.standardError.write(Data("migrate: \(error.description): \(error.detail)\n".utf8))
            throw ExitCode.failure
        }
        print(applied.isEmpty ? "migrate: schema up to date" : "migrate: applied \(applied.map(String.init).joined(separator: ", "))")
        if seed {
            try DemoData.load(into: database)
            print("migrate: demo data loaded (owners: public, \(DemoData.namedOwner))")
        }
    }
}
