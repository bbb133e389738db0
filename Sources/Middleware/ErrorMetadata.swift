public import Logging
internal import Postgres
internal import Secrets

/// What an operator may learn about an unexpected error, for log lines: its category, never its message or data.
public enum ErrorMetadata {
    /// What an operator may learn about an unexpected error: its category, never its message or data.
    public static func describe(_ error: any Error) -> Logger.Metadata {
        if let secret = error as? SecretsError {
            return ["error.kind": "secrets", "error.detail": .string(secret.description)]
        }
        if let db = error as? PostgresError {
            var metadata: Logger.Metadata = [
                "error.kind": "database", "error.code": .string(db.code.rawValue), "error.sqlstate": .string(db.sqlState ?? ""),
            ]
            // libpq's connection messages name host, port, user and database — never passwords or row data — and
            // are what an operator needs to tell a DNS, TLS or pg_hba problem apart.
            if db.code == .connectionFailed || db.code == .tlsFailed {
                metadata["error.detail"] = .string(String(db.detail.split(separator: "\n").first ?? ""))
            }
            return metadata
        }
        return ["error.kind": .string(String(describing: type(of: error)))]
    }
}
