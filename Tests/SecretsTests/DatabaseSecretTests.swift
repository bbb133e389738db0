import Testing

@testable import Secrets

@Suite struct DatabaseSecretTests {
    @Test func rdsRotationJSONWithStringPortAndSpecialPassword() throws {
        let json = #"""
            {"username":"admin@corp","password":"p@ss:w/rd?#[]&=+ %\"é€","engine":"aurora-postgresql",
             "host":"copilot.cluster-abc.eu-west-1.rds.amazonaws.com","port":"6543","dbname":"copilot db",
             "dbClusterIdentifier":"copilot"}
            """#
        let secret = try DatabaseSecret(json: json)
        #expect(secret.port == 6543)
        #expect(secret.password == "p@ss:w/rd?#[]&=+ %\"é€")
        #expect(secret.url == "postgresql://admin%40corp:p%40ss%3Aw%2Frd%3F%23%5B%5D%26%3D%2B%20%25%22%C3%A9%E2%82%AC@copilot.cluster-abc.eu-west-1.rds.amazonaws.com:6543/copilot%20db?sslmode=require")
        // The URL decodes back to the exact password.
        let userInfo = try #require(secret.url.dropFirst("postgresql://".count).split(separator: "@").first)
        let encodedPassword = try #require(userInfo.split(separator: ":").last)
        #expect(percentDecoded(encodedPassword) == secret.password)
    }

    @Test func numericPortSslmodeAndMissingDatabase() throws {
        let secret = try DatabaseSecret(json: #"{"username":"u","password":"pw","host":"10.0.0.5","port":5432,"sslmode":"verify-full","engine":"postgres"}"#)
        #expect(secret.url == "postgresql://u:pw@10.0.0.5:5432/?sslmode=verify-full")
        let v6 = try DatabaseSecret(json: #"{"username":"u","password":"pw","host":"fd00::5","port":null}"#)
        #expect(v6.url == "postgresql://u:pw@[fd00::5]/?sslmode=require")
    }

    @Test(arguments: [
        ("[]", "not a JSON object"),
        (#"{"password":"pw","host":"h"}"#, "username is missing"),
        (#"{"username":"u","host":"h"}"#, "password is missing"),
        (#"{"username":"u","password":"pw"}"#, "host is missing"),
        (#"{"username":"u","password":"pw","host":"h/evil@x"}"#, "host is not a host name or address"),
        (#"{"username":"u","password":"pw","host":"h","port":"54x"}"#, "port is not a number"),
        (#"{"username":"u","password":"pw","host":"h","port":70000}"#, "port is out of range"),
        (#"{"username":"u","password":"pw","host":"h","engine":"mysql"}"#, "engine is not PostgreSQL"),
        (#"{"username":"u","password":"pw","host":"h","sslmode":"sometimes"}"#, "sslmode is not a libpq sslmode"),
        (#"{"username":"u","password":12,"host":"h"}"#, "password is not a string"),
    ])
    func malformedSecretsNameTheFieldOnly(_ json: String, _ reason: String) {
        let error = #expect(throws: SecretsError.self) { try DatabaseSecret(json: json, subject: "Secrets Manager secret db") }
        #expect(error?.code == .malformed)
        #expect(error?.reason == reason)
        #expect(error?.description.contains("pw") == false)
    }

    @Test func storedValuesMayBeURLsOrJSON() throws {
        #expect(try DatabaseSecret.databaseURL(fromStoredValue: " postgres://u:p@h/db", subject: "s") == "postgres://u:p@h/db")
        #expect(try DatabaseSecret.databaseURL(fromStoredValue: #"{"username":"u","password":"p","host":"h"}"#, subject: "s")
            == "postgresql://u:p@h/?sslmode=require")
        let error = #expect(throws: SecretsError.self) {
            try DatabaseSecret.databaseURL(fromStoredValue: "mysql://u:topsecret@h/db", subject: "SSM parameter /db")
        }
        #expect(error?.description.contains("topsecret") == false)
    }

    @Test func descriptionsHideTheCredentials() throws {
        let secret = try DatabaseSecret(json: #"{"username":"admin-user","password":"hunter2-pass","host":"db","port":5432,"dbname":"app"}"#)
        var dumped = ""
        dump(secret, to: &dumped)
        for text in [secret.description, String(reflecting: secret), "\(secret)", dumped] {
            #expect(!text.contains("hunter2-pass"))
            #expect(!text.contains("admin-user"))
        }
        #expect(secret.description == "DatabaseSecret(db:5432/app)")
    }
}

/// Decodes `%XX` escapes (the test's own decoder, independent of the encoder under test).
private func percentDecoded(_ text: Substring) -> String? {
    var bytes: [UInt8] = []
    var iterator = Array(text.utf8).makeIterator()
    while let b = iterator.next() {
        guard b == UInt8(ascii: "%") else {
            bytes.append(b)
            continue
        }
        guard let h = iterator.next(), let l = iterator.next(), let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) else { return nil }
        bytes.append(v)
    }
    return String(validating: bytes, as: UTF8.self)
}
