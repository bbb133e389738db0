import ArgumentParser
import Bytes
import Foundation
import HTTPAPI
import Middleware
import Postgres

/// `warden apikey`: mint and revoke B2B API keys (only their SHA-256 is stored).
struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Create or revoke API keys.", subcommands: [Create.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; it is printed once and never stored.")
        @Option(help: "The organization (tenant) the key acts for.") var tenant: String
        @Option(help: "Comma-separated roles, e.g. intent:score.") var roles: String
        @Option(help: "What the key is for.") var description = ""
        @Option(name: .customLong("database-url"), help: "Owner database URL (default: $DATABASE_URL).") var databaseURL: String?

        func run() throws {
            guard let tenant = TenantID(tenant) else { throw ValidationError("--tenant is not a valid identifier.") }
            let list = roles.split(separator: ",").map { String($0) }
            guard !list.isEmpty, list.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0.isASCIIGraphic && $0 != 0x2C && $0 != 0x22 && $0 != 0x7B && $0 != 0x7D } }) else {
                throw ValidationError("--roles must be a comma-separated list of plain names.")
            }
            let generated = try APIKeyAuthenticator.generate()
            let database = try Database(url: try MigrateCommand.url(databaseURL))
            _ = try database.administrativeExecute(
                SQL("INSERT INTO api_keys (prefix, secret_hash, tenant, roles, description) VALUES ($1, decode($2, 'hex'), $3, $4::text[], $5)"),
                [.text(generated.prefix), .text(generated.hashHex), .text(tenant.rawValue), .textArray(list), .text(description)]
            )
            print(generated.key)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its prefix (the part after wk_).")
        @Argument(help: "The key's prefix.") var prefix: String
        @Option(name: .customLong("database-url"), help: "Owner database URL (default: $DATABASE_URL).") var databaseURL: String?

        func run() throws {
            let database = try Database(url: try MigrateCommand.url(databaseURL))
            let rows = try database.administrativeExecute(
                SQL("UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL"), [.text(prefix)]
            )
            print(rows.affectedRows == 1 ? "revoked" : "no active key with that prefix")
        }
    }
}
