internal import Bytes

/// An error from the database layer. `description` is deliberately generic: server messages may quote data, so
/// they stay in `detail`, which only goes to operators' logs after redaction.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public enum Code: String, Sendable {
        /// The configuration (for example `DATABASE_URL`) is malformed.
        case invalidConfiguration
        /// The server could not be reached or refused the connection.
        case connectionFailed
        /// The connection's TLS failed: the server certificate did not verify (unknown CA, host name not in the
        /// certificate, no root certificate) or the server does not offer TLS although `sslmode` requires it.
        case tlsFailed
        /// The connection was lost while a statement was in flight.
        case connectionLost
        /// The server rejected or failed the statement.
        case queryFailed
        /// A statement ran past its time limit and was cancelled.
        case timeout
        /// A result did not have the expected shape.
        case unexpectedResult
    }

    /// What went wrong.
    public let code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    /// libpq's message, for operators only.
    public let detail: String
    /// Position, within a pipelined batch, of the statement that failed.
    public var statementIndex: Int?
    /// Set when the connection was lost (or the batch cancelled) after a transaction's commit had been asked for:
    /// the server may have committed it. Such a batch is never sent again by this layer.
    public var outcomeUnknown = false

    /// Creates an error; `detail` is for operators' logs only.
    public init(_ code: Code, sqlState: String? = nil, detail: String = "") {
        self.code = code
        self.sqlState = sqlState
        self.detail = detail
    }

    public var description: String { "database error: \(code.rawValue)" }

    /// Whether the server refused a prepared statement because its cached plan no longer fits the schema ("cached
    /// plan must not change result type", SQLSTATE 0A000, after a migration changed what a `SELECT *` returns). The
    /// statement never ran and its transaction rolled back; the connection prepares the statement afresh the next
    /// time it is sent.
    public var isStalePlan: Bool {
        sqlState == "0A000" && detail.utf8.containsBytes("cached plan must not change result type".utf8)
    }

    /// The detail of a statement refused because an earlier one of its transaction failed.
    static let pipelineAborted = "pipeline aborted"

    /// The code for a server error: statement timeouts and cancellations are `.timeout`, connection-class
    /// errors (SQLSTATE 08xxx, admin shutdown 57P01–57P03) `.connectionLost`, the rest `.queryFailed`.
    static func classify(sqlState: String?) -> Code {
        guard let sqlState else { return .queryFailed }
        if sqlState == "57014" { return .timeout }
        if sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") { return .connectionLost }
        return .queryFailed
    }

    /// The code for a failed connection attempt, from libpq's message: `.tlsFailed` for libpq 15's wording of
    /// certificate and handshake failures ("server certificate for … does not match host name …", "SSL error:
    /// certificate verify failed", "root certificate file … does not exist", "server does not support SSL, but SSL
    /// was required"), else `.connectionFailed` (`no pg_hba.conf entry …` is an authentication failure, not TLS).
    static func classifyConnectionFailure(_ message: String) -> Code {
        let tls = ["certificate", "SSL error", "SSL SYSCALL error", "does not support SSL"]
        return tls.contains { message.utf8.containsBytes($0.utf8) } ? .tlsFailed : .connectionFailed
    }
}
