import Testing

@testable import Postgres

@Suite struct ConnectionSettingsTests {
    @Test func parsesFullURLAndDefaultsSSLModeToRequire() throws {
        let s = try ConnectionSettings(url: "postgresql://app%40x:p%3Ass%2Fw@db.example.com:6543/copilot")
        #expect(s["user"] == "app@x")
        #expect(s["password"] == "p:ss/w")
        #expect(s["host"] == "db.example.com")
        #expect(s["port"] == "6543")
        #expect(s["dbname"] == "copilot")
        #expect(s["sslmode"] == "require")
        #expect(s["connect_timeout"] == "5")
    }

    @Test func queryParametersPassThrough() throws {
        let s = try ConnectionSettings(url: "postgres://u@[::1]/db?sslmode=verify-full&sslrootcert=/opt/ca.pem&connect_timeout=2")
        #expect(s["host"] == "::1")
        #expect(s["sslmode"] == "verify-full")
        #expect(s["sslrootcert"] == "/opt/ca.pem")
        #expect(s["connect_timeout"] == "2")
    }

    @Test(arguments: ["mysql://u@h/db", "host=h dbname=x", "postgresql://u@h:notaport/db", "postgresql://u@h:70000/db",
                      "postgresql://u@h/db?sslmode=sometimes", "postgresql://u%zz@h/db"])
    func rejectsMalformedURLs(_ url: String) {
        #expect(throws: PostgresError.self) { try ConnectionSettings(url: url) }
    }

    @Test func errorsDoNotEchoTheURL() {
        do {
            _ = try ConnectionSettings(url: "mysql://user:hunter2@h/db")
            Issue.record("a mysql:// URL was accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(!error.detail.contains("hunter2"))
        }
    }
}
