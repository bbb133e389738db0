internal import Bytes
internal import WardenJSON

/// The JSON that RDS secret rotation keeps in Secrets Manager (`{"username", "password", "host", "port", "dbname",
/// "engine", …}`), turned into a `postgresql://` URL.
///
/// Its description and reflection never show the password or the user name.
public struct DatabaseSecret: Sendable, Equatable {
    /// `username`.
    public var username: String
    /// `password`.
    public var password: String
    /// `host` (a name or an IP address; IPv6 literals get brackets in the URL).
    public var host: String
    /// `port`, given as a number or a string in the secret; `nil` leaves libpq's default (5432).
    public var port: Int?
    /// `dbname`; `nil` leaves libpq's default (the user name).
    public var dbname: String?
    /// `engine` (`postgres`, `aurora-postgresql`), when present.
    public var engine: String?
    /// `sslmode`, when the secret carries one; the URL says `require` otherwise.
    public var sslmode: String?

    /// libpq's `sslmode` values.
    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// A secret given field by field.
    public init(
        username: String, password: String, host: String, port: Int? = nil, dbname: String? = nil,
        engine: String? = nil, sslmode: String? = nil
    ) {
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.dbname = dbname
        self.engine = engine
        self.sslmode = sslmode
    }

    /// Parses the secret's JSON text.
    ///
    /// - Parameter subject: what the text came from, for error messages (e.g. the secret's ARN).
    /// - Throws: `.malformed` naming the offending field (never its value) when the text is not a JSON object, a
    ///   required field (`username`, `password`, `host`) is missing, the port is not 1…65535, the engine is not
    ///   PostgreSQL or `sslmode` is unknown.
    public init(json: String, subject: String = "database secret") throws(SecretsError) {
        func bad(_ reason: String) -> SecretsError { SecretsError(.malformed, subject: subject, reason: reason) }
        guard let object = (try? JSON.parse(json))?.objectValue else { throw bad("not a JSON object") }
        func text(_ key: String) throws(SecretsError) -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let string = value.stringValue else { throw bad("\(key) is not a string") }
            return string.isEmpty ? nil : string
        }
        guard let username = try text("username") else { throw bad("username is missing") }
        guard let password = try text("password") else { throw bad("password is missing") }
        guard let host = try text("host") else { throw bad("host is missing") }
        guard Self.isHost(host) else { throw bad("host is not a host name or address") }
        var port: Int?
        switch object["port"] {
        case nil, .null?: port = nil
        case .string(let s)?:
            guard !s.isEmpty else { break }
            guard let p = Int(s) else { throw bad("port is not a number") }
            port = p
        case let value?:
            guard let p = value.intValue else { throw bad("port is not a number") }
            port = p
        }
        if let p = port, !(1...65535).contains(p) { throw bad("port is out of range") }
        let engine = try text("engine")
        if let engine {
            let lower = engine.lowercased()
            guard lower.hasPrefix("postgres") || lower.hasPrefix("aurora-postgres") else { throw bad("engine is not PostgreSQL") }
        }
        let sslmode = try text("sslmode")
        if let sslmode, !Self.sslModes.contains(sslmode) { throw bad("sslmode is not a libpq sslmode") }
        self.init(
            username: username, password: password, host: host, port: port, dbname: try text("dbname"),
            engine: engine, sslmode: sslmode
        )
    }

    /// `postgresql://user:password@host:port/dbname?sslmode=…`, user, password and database name percent-encoded;
    /// `sslmode` is the secret's own, else `require`.
    public var url: String {
        var url = "postgresql://" + percentEncoded(username) + ":" + percentEncoded(password) + "@"
        url += host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        if let port { url += ":\(port)" }
        url += "/" + percentEncoded(dbname ?? "")
        url += "?sslmode=" + percentEncoded(sslmode ?? "require")
        return url
    }

    /// The database URL stored in a secret or parameter: an RDS JSON secret (first non-blank character `{`) becomes
    /// its `url`; a `postgres://` or `postgresql://` URL is returned as it is.
    ///
    /// - Throws: `.malformed` when the value is neither (the error never holds the value).
    public static func databaseURL(fromStoredValue value: String, subject: String) throws(SecretsError) -> String {
        let trimmed = value.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        if trimmed.hasPrefix("{") { return try DatabaseSecret(json: value, subject: subject).url }
        if trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://") { return String(trimmed) }
        throw SecretsError(.malformed, subject: subject, reason: "neither a postgresql:// URL nor an RDS JSON secret")
    }

    /// A DNS name, an IPv4 address or an IPv6 literal: no characters with a meaning in URLs.
    static func isHost(_ host: String) -> Bool {
        host.utf8.count <= 255
            && host.utf8.allSatisfy { b in
                (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b)
                    || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b == UInt8(ascii: "_")
            }
    }
}

extension DatabaseSecret: CustomStringConvertible, CustomReflectable {
    /// Where the database is, without the credentials.
    public var description: String {
        "DatabaseSecret(\(host)\(port.map { ":\($0)" } ?? "")/\(dbname ?? ""))"
    }

    /// Reflection without the user name and the password, so `dump` reveals no credential.
    public var customMirror: Mirror {
        Mirror(self, children: ["host": host, "port": port as Any, "dbname": dbname as Any, "engine": engine as Any])
    }
}

/// `text` with every byte outside RFC 3986's unreserved set (`A–Z a–z 0–9 - . _ ~`) written as `%XX`.
func percentEncoded(_ text: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    for b in text.utf8 {
        switch b {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            out.append(b)
        default:
            out.append(UInt8(ascii: "%"))
            out.append(Hex.uppercaseDigit(b >> 4))
            out.append(Hex.uppercaseDigit(b))
        }
    }
    return String(decoding: out, as: UTF8.self)
}
