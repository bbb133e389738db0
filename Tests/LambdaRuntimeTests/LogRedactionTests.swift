import Logging
import Synchronization
import Testing

@testable import LambdaRuntime

/// `LogRedaction`, rule by rule: for every key rule, keys that must be redacted and keys that must not; for the
/// e-mail scrubber, texts that must be masked and texts that must stay as they are. The expected values are written
/// out by hand, not derived from the rule lists, so a changed rule fails here.
@Suite struct LogRedactionTests {
    /// Each substring rule (`sensitiveKeyParts`) with keys that contain it in other cases and surroundings.
    static let substringRules: [(rule: String, keys: [String])] = [
        ("authorization", ["authorization", "Authorization", "proxy-authorization", "X_AUTHORIZATION_HEADER"]),
        ("signature", ["signature", "X-Signature", "requestSignature"]),
        ("token", ["token", "accessToken", "ID_TOKEN", "token.refresh"]),
        ("password", ["password", "dbPassword", "PASSWORD_HASH"]),
        ("passwd", ["passwd", "old_passwd"]),
        ("secret", ["secret", "clientSecret", "HMAC_SECRET", "secretArn"]),
        ("cookie", ["cookie", "Set-Cookie", "cookies"]),
        ("apikey", ["apikey", "X-ApiKey", "stripeApiKey"]),
        ("api_key", ["api_key", "ENRICHMENT_API_KEY"]),
        ("api-key", ["api-key", "x-api-key", "X-API-Key"]),
        ("credential", ["credential", "awsCredentials", "CREDENTIAL_SOURCE"]),
        ("email", ["email", "userEmail", "EMAIL", "email_address"]),
        ("body", ["body", "requestBody", "BODY_BYTES"]),
        ("content", ["content", "Content-Type", "messageContent"]),
        ("text", ["text", "queryText", "plaintext"]),
        ("query", ["query", "rawQueryString", "QUERY"]),
        ("phone", ["phone", "phoneNumber", "MOBILE_PHONE"]),
        ("address", ["address", "ipAddress", "billing_address"]),
        ("dsn", ["dsn", "sentryDsn", "DSN_URL"]),
        ("database_url", ["database_url", "DATABASE_URL"]),
        ("databaseurl", ["databaseUrl", "DatabaseURL"]),
        ("connection", ["connection", "connectionString", "DB_CONNECTION"]),
    ]

    /// Each whole-key rule (`personalKeys`): the key in any case is redacted, a longer key holding it is not.
    static let wholeKeyRules: [(rule: String, redacted: [String], kept: [String])] = [
        ("name", ["name", "Name", "NAME"], ["function_name", "namespace", "hostname", "filename"]),
        ("displayname", ["displayName", "DISPLAYNAME"], ["displayNameLength"]),
        ("display_name", ["display_name"], ["display_name_set"]),
        ("fullname", ["fullName", "FullName"], ["fullNameCount"]),
        ("full_name", ["full_name"], ["full_name_present"]),
        ("firstname", ["firstName"], ["firstNames2"]),
        ("first_name", ["first_name", "FIRST_NAME"], ["first_name_x"]),
        ("lastname", ["lastName"], ["lastNameInitialCount"]),
        ("last_name", ["last_name"], ["last_name_set"]),
        ("username", ["username", "userName"], ["usernameLength"]),
        ("user_name", ["user_name"], ["user_name_known"]),
        ("customername", ["customerName"], ["customerNameLength"]),
        ("customer_name", ["customer_name"], ["customer_name_set"]),
    ]

    /// Keys every function logs, which must stay readable.
    static let ordinaryKeys = [
        "function", "tool", "status", "durationUs", "error.code", "error.kind", "error.sqlstate", "error.type", "job",
        "requestId", "tenant", "count", "response.bytes", "idempotency", "outcome", "attempts", "user_id", "id",
    ]

    @Test func everyRuleOfTheCodeHasCasesHere() {
        // A rule added to LogRedaction without a case in this table fails here (and a removed one fails below).
        #expect(Set(LogRedaction.sensitiveKeyParts) == Set(Self.substringRules.map(\.rule)))
        #expect(LogRedaction.personalKeys == Set(Self.wholeKeyRules.map(\.rule)))
    }

    @Test func theKeysJudgedHarmlessOnceAndForAllPassTheRules() {
        // The fast path must never let through what the rules would redact.
        for key in LogRedaction.everyLineKeys {
            #expect(!LogRedaction.judge(key: key), "\(key)")
            #expect(!LogRedaction.isSensitive(key: key))
        }
    }

    @Test func substringRulesRedactEveryKeyHoldingThem() {
        for (rule, keys) in Self.substringRules {
            for key in keys {
                #expect(LogRedaction.isSensitive(key: key), "\(key) (rule \(rule)) must be redacted")
                #expect(LogRedaction.redact(key: key, value: "v@x.example or plain") == .string("[REDACTED]"))
            }
        }
    }

    @Test func wholeKeyRulesRedactOnlyTheWholeKey() {
        for (rule, redacted, kept) in Self.wholeKeyRules {
            for key in redacted {
                #expect(LogRedaction.isSensitive(key: key), "\(key) (rule \(rule)) must be redacted")
            }
            for key in kept {
                #expect(!LogRedaction.isSensitive(key: key), "\(key) (rule \(rule)) must stay")
            }
        }
    }

    /// Verdicts are remembered per key (a function logs the same keys on every line), and stay right when asked
    /// again and past the bound of remembered keys.
    @Test func rememberedVerdictsStayRightPastTheBound() {
        for round in 0..<2 {
            for i in 0..<(LogRedaction.maxRememberedKeys + 50) {
                #expect(LogRedaction.isSensitive(key: "k\(i)-Secret") == true, "round \(round)")
                #expect(LogRedaction.isSensitive(key: "k\(i)-count") == false, "round \(round)")
            }
        }
    }

    @Test func ordinaryKeysStay() {
        for key in Self.ordinaryKeys {
            #expect(!LogRedaction.isSensitive(key: key), "\(key) must stay")
            #expect(LogRedaction.redact(key: key, value: "plain value 42") == .string("plain value 42"))
        }
    }

    @Test func aSensitiveKeyRedactsEveryKindOfValue() {
        let values: [Logger.Metadata.Value] = [
            "hunter2", .stringConvertible(42), .array(["a", "b"]), .dictionary(["inner": "x"]), "",
        ]
        for value in values {
            #expect(LogRedaction.redact(key: "password", value: value) == .string("[REDACTED]"))
        }
    }

    @Test func numbersStayNumbersAndOtherValuesAreScrubbed() {
        #expect(LogRedaction.redact(key: "count", value: .stringConvertible(3)) == .stringConvertible(3))
        #expect(LogRedaction.redact(key: "count", value: .stringConvertible(UInt64(7))) == .stringConvertible(UInt64(7)))
        #expect(LogRedaction.redact(key: "ratio", value: .stringConvertible(0.5)) == .stringConvertible(0.5))
        #expect(LogRedaction.redact(key: "who", value: .stringConvertible(Described(text: "jane@example.com")))
            == .string("[REDACTED]"))
        #expect(LogRedaction.redact(key: "who", value: .stringConvertible(Described(text: "nobody"))) == .string("nobody"))
    }

    @Test func nestedValuesAreRedactedByTheirOwnKeys() {
        let value: Logger.Metadata.Value = .dictionary([
            "id": "17", "email": "jane@example.com", "note": "mail bob@example.org",
            "list": .array(["carol@example.net", "plain"]), "inner": .dictionary(["token": "abc", "status": "ok"]),
        ])
        let expected: Logger.Metadata.Value = .dictionary([
            "id": "17", "email": "[REDACTED]", "note": "mail [REDACTED]",
            "list": .array(["[REDACTED]", "plain"]), "inner": .dictionary(["token": "[REDACTED]", "status": "ok"]),
        ])
        #expect(LogRedaction.redact(key: "participant", value: value) == expected)
    }

    /// (text, what it must become): e-mail addresses are masked wherever they are.
    static let masked: [(String, String)] = [
        ("jane@example.com", "[REDACTED]"),
        ("contact jane.doe+tag@mail.example.co.uk today", "contact [REDACTED] today"),
        ("a@b.c", "[REDACTED]"),
        ("JANE_DOE%x@EXAMPLE.ORG", "[REDACTED]"),
        ("<jane@example.com>", "<[REDACTED]>"),
        ("mailto:jane@example.com", "mailto:[REDACTED]"),
        ("a@b.co, c@d.co", "[REDACTED], [REDACTED]"),
        ("x\njane@example.com\ny", "x\n[REDACTED]\ny"),
        // Two addresses sharing their middle: nothing of either may remain, and the output is not garbled.
        ("a@b.c@d.e", "[REDACTED][REDACTED]"),
        ("first.last@sub.example.com@second.example.org", "[REDACTED][REDACTED]"),
        ("a@" + String(repeating: "b", count: 40) + ".c@x.y", "[REDACTED][REDACTED]"),
        // Internationalized addresses (RFC 6531; participants may have them): masked whole, not in part.
        ("Örjan@example.com", "[REDACTED]"),
        ("jöhn@exämple.com", "[REDACTED]"),
        ("名前@例え.jp", "[REDACTED]"),
    ]

    /// Texts with no e-mail address: unchanged.
    static let kept: [String] = [
        "", "no at sign here", "@handle", "user@localhost", "5 @ 3.50", "trailing@", "a@b", "@example.com",
        "request id 1f2e-aa", "[REDACTED]",
    ]

    @Test func emailAddressesAreMaskedAnywhere() {
        for (text, expected) in Self.masked {
            #expect(LogRedaction.scrub(text) == expected, "\(text)")
            #expect(LogRedaction.redact(key: "message", value: .string(text)) == .string(expected), "\(text)")
        }
    }

    @Test func textsWithoutAnAddressStay() {
        for text in Self.kept {
            #expect(LogRedaction.scrub(text) == text, "\(text)")
        }
    }

    @Test func theLogHandlerAppliesTheRulesToEveryLine() {
        let lines = LineCollector()
        for format in [LambdaLogFormat.json, .text] {
            var logger = Logger(label: "test") { LambdaLogHandler(label: $0, format: format, level: .info, sink: { lines.append($0) }) }
            logger[metadataKey: "requestId"] = "req-1"
            logger.info("mail jane@example.com", metadata: ["password": "hunter2", "count": .stringConvertible(3)])
        }
        let written = lines.lines
        #expect(written.count == 2)
        // The lines are there, redacted (a check that only looks for the absence of the secret would pass without them).
        #expect(written.first?.contains(#""message":"mail [REDACTED]""#) == true, "\(written)")
        #expect(written.first?.contains(#""password":"[REDACTED]""#) == true, "\(written)")
        #expect(written.first?.contains(#""count":3"#) == true, "\(written)")
        #expect(written.last?.contains("mail [REDACTED] count=3 password=[REDACTED]") == true, "\(written)")
        #expect(!written.joined().contains("hunter2") && !written.joined().contains("jane@"))
    }
}

private struct Described: CustomStringConvertible, Sendable {
    let text: String
    var description: String { text }
}

/// The handler's output lines, collected in memory.
private final class LineCollector: Sendable {
    private let collected = Mutex<[String]>([])
    var lines: [String] { collected.withLock { $0 } }
    func append(_ bytes: [UInt8]) { collected.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
}
