import Testing

@testable import Postgres

/// `ConnectionSettings.prepared()`: what libpq receives so that it never needs glibc NSS.
@Suite struct PreparedSettingsTests {
    /// A machine with fixed answers: `names` resolve, nothing else does; `HOME` is set unless `home` is nil.
    static func machine(
        names: [String: [String]] = [:], environment: [String: String] = ["HOME": "/home/test"], files: Set<String> = []
    ) -> Resolver {
        Resolver(
            addresses: { name, _ throws(PostgresError) in
                guard let found = names[name] else {
                    throw PostgresError(.connectionFailed, detail: "could not resolve database host \(name): Domain name not found")
                }
                return found
            },
            environment: { environment[$0] },
            fileExists: { files.contains($0) }
        )
    }

    /// A machine whose resolver must not be asked.
    static let noLookups = Resolver(
        addresses: { name, _ throws(PostgresError) in
            Issue.record("unexpected lookup of \(name)")
            return []
        },
        environment: { $0 == "HOME" ? "/home/test" : nil },
        fileExists: { _ in false }
    )

    @Test(arguments: ["postgresql://u:p@127.0.0.1:5432/db", "postgresql://u:p@[::1]:5432/db",
                      "postgresql://u:p@[fe80::1%25eth0]/db"])
    func numericHostsPassThroughUntouched(_ url: String) throws {
        let settings = try ConnectionSettings(url: url)
        let prepared = try settings.prepared(on: Self.noLookups)
        #expect(prepared["host"] == settings["host"])
        #expect(prepared["hostaddr"] == nil)
    }

    @Test func unixSocketDirectoriesPassThroughUntouched() throws {
        let settings = try ConnectionSettings(url: "postgresql://u@%2Fvar%2Frun%2Fpostgresql/db?sslmode=disable")
        let prepared = try settings.prepared(on: Self.noLookups)
        #expect(prepared["host"] == "/var/run/postgresql")
        #expect(prepared["hostaddr"] == nil)
    }

    @Test func aGivenHostaddrIsKept() throws {
        let settings = try ConnectionSettings(url: "postgresql://u@db.example.com/db?hostaddr=10.0.0.7")
        let prepared = try settings.prepared(on: Self.noLookups)
        #expect(prepared["host"] == "db.example.com")
        #expect(prepared["hostaddr"] == "10.0.0.7")
    }

    @Test func pgHostIsResolvedWhenTheURLNamesNoHost() throws {
        let settings = try ConnectionSettings(url: "postgresql://u:p@/db")
        let prepared = try settings.prepared(on: Self.machine(names: ["db.example.com": ["10.0.0.9"]],
                                                              environment: ["HOME": "/root", "PGHOST": "db.example.com"]))
        #expect(prepared["host"] == "db.example.com")
        #expect(prepared["hostaddr"] == "10.0.0.9")
    }

    @Test func localhostResolvesThroughEtcHostsWithCAres() throws {
        let settings = try ConnectionSettings(url: "postgresql://u:p@localhost:5432/db?sslmode=disable")
        let prepared = try settings.prepared()
        let hosts = try #require(prepared["host"]).split(separator: ",")
        let addresses = try #require(prepared["hostaddr"]).split(separator: ",").map(String.init)
        #expect(!addresses.isEmpty && addresses.count <= Resolver.maximumAddresses)
        #expect(hosts.count == addresses.count && hosts.allSatisfy { $0 == "localhost" })
        #expect(addresses.allSatisfy(Resolver.isNumericAddress))
        #expect(addresses.contains("127.0.0.1") || addresses.contains("::1"))
        #expect(prepared["port"] == "5432")
    }

    @Test func everyAddressOfANameIsTriedAndTheNameKeptForVerification() throws {
        let settings = try ConnectionSettings(url: "postgresql://u:p@db.example.com:6543/db?sslmode=verify-full&sslrootcert=/ca.pem")
        let prepared = try settings.prepared(on: Self.machine(names: ["db.example.com": ["10.0.0.1", "fd00::1"]]))
        #expect(prepared["host"] == "db.example.com,db.example.com")
        #expect(prepared["hostaddr"] == "10.0.0.1,fd00::1")
        #expect(prepared["port"] == "6543")
        #expect(prepared["sslrootcert"] == "/ca.pem")
    }

    @Test func hostListsKeepTheirOrderAndPortsAndDropWhatDoesNotResolve() throws {
        let settings = try ConnectionSettings(url: "postgresql://u:p@/db?host=a.example,127.0.0.2,gone.example,b.example&port=1,2,3,4")
        let prepared = try settings.prepared(on: Self.machine(names: ["a.example": ["10.0.0.1"], "b.example": ["10.0.0.2", "10.0.0.3"]]))
        #expect(prepared["host"] == "a.example,127.0.0.2,b.example,b.example")
        #expect(prepared["hostaddr"] == "10.0.0.1,,10.0.0.2,10.0.0.3")
        #expect(prepared["port"] == "1,2,4,4")
    }

    @Test func anUnresolvableHostIsAConnectionFailureNamingOnlyTheHost() throws {
        let settings = try ConnectionSettings(url: "postgresql://u:hunter2@nowhere.invalid/db")
        let error = try #require(throws: PostgresError.self) { try settings.prepared(on: Self.machine()) }
        #expect(error.code == .connectionFailed)
        #expect(error.detail.hasPrefix("could not resolve database host nowhere.invalid"))
        #expect(!error.detail.contains("hunter2") && !error.detail.contains("postgresql://"))
    }

    @Test func theRealResolverReportsAnUnknownNameFromEtcHostsOrDNS() throws {
        // `.invalid` never resolves (RFC 6761); with no reachable DNS server the lookup times out instead.
        let settings = try ConnectionSettings(url: "postgresql://u@warden-unit-test.invalid/db?connect_timeout=2")
        let error = try #require(throws: PostgresError.self) { try settings.prepared() }
        #expect(error.code == .connectionFailed)
        #expect(error.detail.hasPrefix("could not resolve database host warden-unit-test.invalid: "))
    }

    @Test func aPassedDeadlineStopsTheLookup() throws {
        let settings = try ConnectionSettings(url: "postgresql://u@db.example.com/db")
        let error = try #require(throws: PostgresError.self) {
            try settings.prepared(on: Self.machine(names: ["db.example.com": ["10.0.0.1"]]), deadline: nowMilliseconds() - 1)
        }
        #expect(error.code == .timeout)
    }

    @Test func aMissingUserIsRefused() throws {
        let settings = try ConnectionSettings(url: "postgresql://db.example.com/db")
        let error = try #require(throws: PostgresError.self) {
            try settings.prepared(on: Self.machine(names: ["db.example.com": ["10.0.0.1"]]))
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.detail.contains("user"))
    }

    @Test(arguments: ["verify-full", "verify-ca"])
    func verificationWithoutARootCertificateGetsTheSystemBundle(_ mode: String) throws {
        let settings = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db?sslmode=\(mode)")
        let debian = try settings.prepared(on: Self.machine(files: ["/etc/ssl/certs/ca-certificates.crt"]))
        #expect(debian["sslrootcert"] == "/etc/ssl/certs/ca-certificates.crt")
        let amazon = try settings.prepared(on: Self.machine(files: ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]))
        #expect(amazon["sslrootcert"] == "/etc/pki/tls/certs/ca-bundle.crt")
        let overridden = try settings.prepared(on: Self.machine(
            environment: ["HOME": "/root", "SSL_CERT_FILE": "/opt/ssl.pem", "WARDEN_CA_BUNDLE": "/opt/warden.pem"],
            files: ["/etc/pki/tls/certs/ca-bundle.crt"]))
        #expect(overridden["sslrootcert"] == "/opt/warden.pem")
        let sslCertFile = try settings.prepared(on: Self.machine(environment: ["SSL_CERT_FILE": "/opt/ssl.pem"]))
        #expect(sslCertFile["sslrootcert"] == "/opt/ssl.pem")
    }

    @Test func verifyFullOnThisMachineFindsItsBundle() throws {
        let settings = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db?sslmode=verify-full")
        let bundle = try #require(ConnectionSettings.systemCABundle(on: .system))
        #expect(try settings.prepared()["sslrootcert"] == bundle)
    }

    @Test func anExplicitRootCertificateIsKeptAndSystemMeansTheBundle() throws {
        let machine = Self.machine(files: ["/etc/ssl/certs/ca-certificates.crt"])
        let explicit = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db?sslmode=verify-full&sslrootcert=/ca.pem")
        #expect(try explicit.prepared(on: machine)["sslrootcert"] == "/ca.pem")
        let system = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db?sslmode=verify-full&sslrootcert=system")
        #expect(try system.prepared(on: machine)["sslrootcert"] == "/etc/ssl/certs/ca-certificates.crt")
        let require = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db")
        #expect(try require.prepared(on: machine)["sslrootcert"] == nil)
    }

    @Test func verificationWithoutAnyBundleIsAConfigurationError() throws {
        let settings = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db?sslmode=verify-full")
        let error = try #require(throws: PostgresError.self) { try settings.prepared(on: Self.machine()) }
        #expect(error.code == .invalidConfiguration)
    }

    @Test func withoutHomeTheHomeDirectoryFilesArePinnedWhereNothingExists() throws {
        let noHome = Self.machine(environment: [:])
        let require = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db").prepared(on: noHome)
        #expect(require["passfile"] == "/dev/null/.pgpass")
        #expect(require["sslcert"] == "/dev/null/.postgresql/postgresql.crt")
        #expect(require["sslkey"] == "/dev/null/.postgresql/postgresql.key")
        #expect(require["sslrootcert"] == "/dev/null/.postgresql/root.crt")
        #expect(require["sslcrl"] == "/dev/null/.postgresql/root.crl")

        let disable = try ConnectionSettings(url: "postgresql://u:p@10.0.0.1/db?sslmode=disable").prepared(on: noHome)
        #expect(disable["passfile"] == nil && disable["sslcert"] == nil && disable["sslrootcert"] == nil)

        let verify = try ConnectionSettings(url: "postgresql://u:p@10.0.0.1/db?sslmode=verify-full&sslrootcert=/ca.pem&sslcrldir=/crl")
            .prepared(on: noHome)
        #expect(verify["sslrootcert"] == "/ca.pem" && verify["sslcrl"] == nil && verify["passfile"] == nil)

        let withHome = try ConnectionSettings(url: "postgresql://u@10.0.0.1/db").prepared(on: Self.machine())
        #expect(withHome["passfile"] == nil && withHome["sslcert"] == nil && withHome["sslrootcert"] == nil)
    }

    @Test(arguments: [
        ("connection to server at \"localhost\" (127.0.0.1), port 5433 failed: server certificate for \"localhost\" does not match host name \"other.warden.test\"", PostgresError.Code.tlsFailed),
        ("connection to server at \"localhost\" (127.0.0.1), port 5433 failed: SSL error: certificate verify failed", .tlsFailed),
        ("root certificate file \"/nope\" does not exist\nEither provide the file or change sslmode", .tlsFailed),
        ("server does not support SSL, but SSL was required", .tlsFailed),
        ("connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"u\", database \"d\", no encryption", .connectionFailed),
        ("connection to server at \"127.0.0.1\", port 1 failed: Connection refused", .connectionFailed),
    ])
    func tlsFailuresHaveTheirOwnCode(_ message: String, _ code: PostgresError.Code) {
        #expect(PostgresError.classifyConnectionFailure(message) == code)
    }
}
