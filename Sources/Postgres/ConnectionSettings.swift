internal import Bytes

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
    /// The settings as handed to libpq for one connection attempt, arranged so that libpq never needs glibc NSS
    /// (which a fully static binary cannot load):
    ///
    /// - every host name is resolved now, with c-ares, into `hostaddr` (up to `Resolver.maximumAddresses` per name,
    ///   tried in order), while `host` keeps the name for certificate verification and SNI; numeric hosts and Unix
    ///   socket directories pass through untouched, as does everything when `hostaddr` is already given;
    /// - `sslmode=verify-ca`/`verify-full` without `sslrootcert` (or with libpq 16's `sslrootcert=system`) get the
    ///   system CA bundle;
    /// - `user` must be given (libpq would otherwise ask `getpwuid`);
    /// - without `$HOME`, the files libpq looks for in the home directory are pinned to paths that cannot exist,
    ///   which is what libpq finds there anyway, minus the `getpwuid` call.
    ///
    /// Name lookups take at most `connect_timeout` each, and end by `deadline` (milliseconds since the Unix epoch).
    func prepared(deadline: Int64? = nil) throws(PostgresError) -> ConnectionSettings {
        try prepared(on: .system, deadline: deadline)
    }

    /// `prepared()` against a given machine (tests substitute the resolver, environment and files).
    func prepared(on system: Resolver, deadline: Int64? = nil) throws(PostgresError) -> ConnectionSettings {
        var settings = self
        guard let user = settings["user"], !user.isEmpty else {
            throw PostgresError(.invalidConfiguration, detail: "DATABASE_URL has no user name (postgresql://USER:…@host/db)")
        }
        try settings.resolveHosts(on: system, deadline: deadline)
        try settings.pinRootCertificate(on: system)
        settings.pinHomeDirectoryFiles(on: system)
        return settings
    }

    /// Where the system's CA bundle is: `$WARDEN_CA_BUNDLE` or `$SSL_CERT_FILE` when set, else Amazon Linux's
    /// (`provided.al2023`), else Debian's.
    static func systemCABundle(on system: Resolver) -> String? {
        for variable in ["WARDEN_CA_BUNDLE", "SSL_CERT_FILE"] {
            if let path = system.environment(variable), !path.isEmpty { return path }
        }
        return ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt"].first { system.fileExists($0) }
    }

    /// A host entry libpq would look up by name (not empty, not numeric, not a Unix socket directory).
    private static func needsLookup(_ host: String) -> Bool {
        !host.isEmpty && !host.hasPrefix("/") && !host.hasPrefix("@") && !Resolver.isNumericAddress(host)
    }

    /// The time one name lookup may take: libpq's `connect_timeout` (seconds, at least 2); 10 s when it waits forever.
    private var lookupTimeoutMilliseconds: Int {
        guard let text = self["connect_timeout"], let seconds = Int(text), seconds > 0 else { return 10_000 }
        return min(max(seconds, 2), 3600) * 1000
    }

    private func isSet(_ key: String, environment variable: String? = nil, on system: Resolver) -> Bool {
        if let value = self[key], !value.isEmpty { return true }
        guard let variable, let value = system.environment(variable) else { return false }
        return !value.isEmpty
    }

    /// host=a,b → host=a,a,b hostaddr=IPa1,IPa2,IPb (ports expanded alike when they are a list). A name that does not
    /// resolve is dropped from a list of several; when nothing is left, its error is thrown.
    private mutating func resolveHosts(on system: Resolver, deadline: Int64?) throws(PostgresError) {
        // Without `host`, libpq would take $PGHOST: resolve that instead.
        guard let hostList = self["host"] ?? system.environment("PGHOST"),
              !isSet("hostaddr", environment: "PGHOSTADDR", on: system) else { return }
        let hosts = hostList.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard hosts.contains(where: Self.needsLookup) else { return }
        let ports = (self["port"] ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let portPerHost = ports.count > 1
        if portPerHost && ports.count != hosts.count {
            throw PostgresError(.invalidConfiguration, detail: "DATABASE_URL has \(ports.count) ports for \(hosts.count) hosts")
        }
        var newHosts: [String] = []
        var newAddresses: [String] = []
        var newPorts: [String] = []
        var firstFailure: PostgresError?
        for (index, host) in hosts.enumerated() {
            var addresses = [""]  // empty: libpq uses `host` itself (numeric address or socket directory)
            if Self.needsLookup(host) {
                var timeout = lookupTimeoutMilliseconds
                if let deadline {
                    let left = deadline - nowMilliseconds()
                    guard left > 0 else { throw PostgresError(.timeout, detail: "no time left to resolve database host \(host)") }
                    timeout = Int(min(Int64(timeout), left))
                }
                do {
                    addresses = Array(try system.addresses(host, timeout).prefix(Resolver.maximumAddresses))
                } catch {
                    firstFailure = firstFailure ?? error
                    continue
                }
                if addresses.isEmpty {
                    firstFailure = firstFailure ?? PostgresError(.connectionFailed, detail: "could not resolve database host \(host)")
                    continue
                }
            }
            for address in addresses {
                newHosts.append(host)
                newAddresses.append(address)
                if portPerHost { newPorts.append(ports[index]) }
            }
        }
        guard !newHosts.isEmpty else {
            throw firstFailure ?? PostgresError(.connectionFailed, detail: "could not resolve database host")
        }
        self["host"] = newHosts.joined(separator: ",")
        self["hostaddr"] = newAddresses.joined(separator: ",")
        if portPerHost { self["port"] = newPorts.joined(separator: ",") }
    }

    /// libpq 15 has no `sslrootcert=system`: verification modes without a root certificate get the system bundle.
    private mutating func pinRootCertificate(on system: Resolver) throws(PostgresError) {
        let mode = self["sslmode"] ?? "require"
        let wantsSystem = self["sslrootcert"] == "system"
        let verifies = mode == "verify-ca" || mode == "verify-full"
        guard wantsSystem || (verifies && !isSet("sslrootcert", environment: "PGSSLROOTCERT", on: system)) else { return }
        guard let bundle = Self.systemCABundle(on: system) else {
            throw PostgresError(.invalidConfiguration,
                                detail: "sslmode=\(mode) needs sslrootcert: no system CA bundle found (set WARDEN_CA_BUNDLE)")
        }
        self["sslrootcert"] = bundle
    }

    /// Without `$HOME`, libpq asks `getpwuid` for the home directory (NSS) to find `~/.pgpass` and `~/.postgresql/*`.
    /// Naming those files explicitly — under `/dev/null`, where nothing can exist — spares the call and changes nothing
    /// else: libpq silently skips missing ones, as it would on Lambda. Anything set in the URL or `PG*` wins.
    private mutating func pinHomeDirectoryFiles(on system: Resolver) {
        if let home = system.environment("HOME"), !home.isEmpty { return }
        let nowhere = "/dev/null"
        if !isSet("password", environment: "PGPASSWORD", on: system), !isSet("passfile", environment: "PGPASSFILE", on: system) {
            self["passfile"] = "\(nowhere)/.pgpass"
        }
        guard self["sslmode"] != "disable" else { return }
        let files = [("sslcert", "PGSSLCERT", "postgresql.crt"), ("sslkey", "PGSSLKEY", "postgresql.key"),
                     ("sslrootcert", "PGSSLROOTCERT", "root.crt"), ("sslcrl", "PGSSLCRL", "root.crl")]
        for (key, variable, file) in files where !isSet(key, environment: variable, on: system) {
            if key == "sslcrl" && isSet("sslcrldir", environment: "PGSSLCRLDIR", on: system) { continue }
            self[key] = "\(nowhere)/.postgresql/\(file)"
        }
    }
}

private func percentDecode(_ s: Substring) -> String? {
    guard s.utf8.contains(0x25) else { return String(s) }
    var out: [UInt8] = []
    var it = Array(s.utf8)[...]
    while let b = it.popFirst() {
        if b == 0x25 {
            guard let h = it.popFirst(), let l = it.popFirst(), let hv = Hex.value(ofDigit: h), let lv = Hex.value(ofDigit: l) else { return nil }
            out.append(hv << 4 | lv)
        } else {
            out.append(b)
        }
    }
    return String(validating: out, as: UTF8.self)
}
