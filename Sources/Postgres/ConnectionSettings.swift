/// libpq connection parameters parsed from a `DATABASE_URL` (`postgresql://user:pass@host:port/db?sslmode=…`).
///
/// `sslmode` defaults to `require`, as the copilot's deployments expect; every other query parameter libpq knows
/// (`sslrootcert`, `connect_timeout`, `application_name`, …) passes through.
public struct ConnectionSettings: Sendable, Equatable {
    /// libpq keyword / value pairs, in order.
    public private(set) var parameters: [(String, String)]

    public static func == (a: ConnectionSettings, b: ConnectionSettings) -> Bool {
        a.parameters.elementsEqual(b.parameters) { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// The value of libpq keyword `key`, if set.
    public subscript(key: String) -> String? {
        get { parameters.last { $0.0 == key }?.1 }
        set {
            parameters.removeAll { $0.0 == key }
            if let newValue { parameters.append((key, newValue)) }
        }
    }

    /// Parses a `postgres://` or `postgresql://` URL.
    public init(url: String) throws(PostgresError) {
        let invalid = PostgresError(.invalidConfiguration, detail: "DATABASE_URL is not a postgresql:// URL")
        var rest = Substring(url)
        if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else {
            throw invalid
        }
        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var pairs: [(String, String)] = []
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let (user, password) = userInfo.firstIndex(of: ":").map {
                (userInfo[..<$0], Optional(userInfo[userInfo.index(after: $0)...]))
            } ?? (userInfo, nil)
            guard let u = percentDecode(user) else { throw invalid }
            if !u.isEmpty { pairs.append(("user", u)) }
            if let password {
                guard let p = percentDecode(password) else { throw invalid }
                pairs.append(("password", p))
            }
        }
        var host = rest
        var port: Substring = ""
        if host.hasPrefix("[") {  // IPv6 literal
            guard let close = host.firstIndex(of: "]") else { throw invalid }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = after.dropFirst() }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard let h = percentDecode(host) else { throw invalid }
        if !h.isEmpty { pairs.append(("host", h)) }
        if !port.isEmpty {
            guard let p = Int(port), (1...65535).contains(p) else { throw invalid }
            pairs.append(("port", String(p)))
        }
        guard let db = percentDecode(path) else { throw invalid }
        if !db.isEmpty { pairs.append(("dbname", db)) }
        for item in query.split(separator: "&") where !item.isEmpty {
            let (k, v) = item.firstIndex(of: "=").map { (item[..<$0], item[item.index(after: $0)...]) } ?? (item, "")
            guard let key = percentDecode(k), let value = percentDecode(v), !key.isEmpty else { throw invalid }
            pairs.removeAll { $0.0 == key }
            pairs.append((key, value))
        }
        parameters = pairs
        if self["sslmode"] == nil { self["sslmode"] = "require" }
        let allowedModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
        guard let mode = self["sslmode"], allowedModes.contains(mode) else { throw invalid }
        if self["connect_timeout"] == nil { self["connect_timeout"] = "5" }
        if self["application_name"] == nil { self["application_name"] = "warden" }
        // Server notices would reach stderr through libpq's default notice processor, outside our JSON logs.
        if self["options"] == nil { self["options"] = "-c client_min_messages=warning" }
    }
}

extension ConnectionSettings {
    /// The settings as handed to libpq for one connection attempt (name resolution and CA bundle come later).
    func prepared() throws(PostgresError) -> ConnectionSettings { self }
}

private func percentDecode(_ s: Substring) -> String? {
    guard s.utf8.contains(0x25) else { return String(s) }
    var out: [UInt8] = []
    var it = Array(s.utf8)[...]
    while let b = it.popFirst() {
        if b == 0x25 {
            guard let h = it.popFirst(), let l = it.popFirst(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
            out.append(hv << 4 | lv)
        } else {
            out.append(b)
        }
    }
    return String(validating: out, as: UTF8.self)
}

private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: b - 0x30
    case 0x41...0x46: b - 0x41 + 10
    case 0x61...0x66: b - 0x61 + 10
    default: nil
    }
}
