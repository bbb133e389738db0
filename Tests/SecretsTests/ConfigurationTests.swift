import Curl
import Testing

@testable import Secrets

/// Environment handling, endpoints, error mapping and the CA bundle search; no network.
@Suite struct ConfigurationTests {
    static let keys = ["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret-key-value", "AWS_REGION": "eu-central-1"]

    func env(_ values: [String: String]) -> @Sendable (String) -> String? { { values[$0] } }

    // MARK: Credentials

    @Test func credentialsFromTheEnvironment() throws {
        let credentials = try #require(try AWSCredentials.fromEnvironment(env(Self.keys.merging(["AWS_SESSION_TOKEN": "tok"]) { $1 })))
        #expect(credentials.accessKeyID == "AKIDTEST")
        #expect(credentials.secretAccessKey == "secret-key-value")
        #expect(credentials.sessionToken == "tok")
        #expect(credentials.region == "eu-central-1")
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, String(reflecting: credentials), dumped] {
            #expect(!text.contains("secret-key-value"))
            #expect(!text.contains("tok)"))
        }
    }

    @Test func regionFallsBackToAWSDefaultRegion() throws {
        var values = Self.keys
        values["AWS_REGION"] = nil
        values["AWS_DEFAULT_REGION"] = "ap-southeast-2"
        #expect(try AWSCredentials.fromEnvironment(env(values))?.region == "ap-southeast-2")
    }

    @Test func missingKeysMeanNoCredentials() throws {
        #expect(try AWSCredentials.fromEnvironment(env(["AWS_REGION": "us-east-1"])) == nil)
        #expect(try AWSCredentials.fromEnvironment(env(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": "us-east-1"])) == nil)
    }

    @Test(arguments: [nil, "US_EAST_1", "us-east-1:ssm", "eu west"])
    func keysWithoutAValidRegionAreAConfigurationError(_ region: String?) {
        var values = Self.keys
        values["AWS_REGION"] = region
        let error = #expect(throws: SecretsError.self) { try AWSCredentials.fromEnvironment(env(values)) }
        #expect(error?.code == .notConfigured)
        #expect(error?.description.contains("secret-key-value") == false)
    }

    // MARK: Endpoints

    @Test func endpointsFollowTheSDKVariables() throws {
        #expect(try SSMClient.endpoint(region: "eu-central-1", environment: env([:])) == "https://ssm.eu-central-1.amazonaws.com/")
        #expect(try SecretsManagerClient.endpoint(region: "cn-north-1", environment: env([:]))
            == "https://secretsmanager.cn-north-1.amazonaws.com.cn/")
        let both = env(["AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_ENDPOINT_URL_SSM": "https://ssm.internal/base/"])
        #expect(try SSMClient.endpoint(region: "us-east-1", environment: both) == "https://ssm.internal/base/")
        #expect(try SecretsManagerClient.endpoint(region: "us-east-1", environment: both) == "http://localhost:4566/")
        let sm = env(["AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:5000"])
        #expect(try SecretsManagerClient.endpoint(region: "us-east-1", environment: sm) == "http://127.0.0.1:5000/")
        let ignored = env(["AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])
        #expect(try SSMClient.endpoint(region: "us-east-1", environment: ignored) == "https://ssm.us-east-1.amazonaws.com/")
    }

    @Test func aMalformedEndpointIsRejectedWithoutEchoingIt() {
        let error = #expect(throws: SecretsError.self) {
            try SSMClient.endpoint(region: "us-east-1", environment: env(["AWS_ENDPOINT_URL_SSM": "ftp://user:hunter2@host/"]))
        }
        #expect(error?.code == .notConfigured)
        #expect(error?.subject == "AWS_ENDPOINT_URL_SSM")
        #expect(error?.description.contains("hunter2") == false)
    }

    // MARK: Error mapping

    @Test(arguments: [
        ("ParameterNotFound", 400, SecretsError.Code.notFound),
        ("ResourceNotFoundException", 400, .notFound),
        ("UnrecognizedClientException", 400, .accessDenied),
        ("InvalidSignatureException", 400, .accessDenied),
        ("AccessDeniedException", 400, .accessDenied),
        ("ExpiredTokenException", 400, .accessDenied),
        ("ThrottlingException", 400, .unavailable),
        ("InternalServerError", 500, .unavailable),
        ("ValidationException", 400, .malformed),
    ])
    func awsErrorTypesMapToCodes(_ type: String, _ status: Int, _ code: SecretsError.Code) {
        #expect(AWSJSONService.classify(errorType: type, status: status) == code)
    }

    @Test(arguments: [(403, SecretsError.Code.accessDenied), (404, .notFound), (429, .unavailable), (503, .unavailable), (400, .malformed)])
    func statusAloneMapsToCodes(_ status: Int, _ code: SecretsError.Code) {
        #expect(AWSJSONService.classify(errorType: nil, status: status) == code)
    }

    @Test func errorTypeIsReadFromHeaderJSONOrXMLAndShortened() {
        let json = HTTPResponse(status: 400, headers: [], body: Array(#"{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"Parameter /x not found"}"#.utf8))
        #expect(AWSJSONService.errorType(of: json) == "ParameterNotFound")
        let header = HTTPResponse(status: 400, headers: [HTTPHeader("x-amzn-ErrorType", "UnrecognizedClientException:http://internal.amazon.com/")], body: [])
        #expect(AWSJSONService.errorType(of: header) == "UnrecognizedClientException")
        let xml = HTTPResponse(status: 403, headers: [], body: Array("<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>".utf8))
        #expect(AWSJSONService.errorType(of: xml) == "SignatureDoesNotMatch")
        let hostile = HTTPResponse(status: 400, headers: [], body: Array(#"{"__type":"value=hunter2 <script>"}"#.utf8))
        #expect(AWSJSONService.errorType(of: hostile) == nil)
        let error = AWSJSONService.serviceError(hostile, subject: "SSM parameter /x")
        #expect(error.description == "SSM parameter /x could not be read (HTTP 400)")
    }

    // MARK: FunctionSecrets sources

    @Test func environmentValuesNeedNoCredentials() throws {
        let secrets = FunctionSecrets(environment: env(["HMAC_SECRET": "local-secret", "DATABASE_URL": "postgresql://u@h/db"]))
        try secrets.validateConfiguration()
        #expect(try secrets.hmacSecret() == Array("local-secret".utf8))
        #expect(try secrets.databaseURL() == "postgresql://u@h/db")
        #expect(secrets.databaseURLGeneration == 1)
        _ = try secrets.databaseURL()
        #expect(secrets.databaseURLGeneration == 1)
        #expect(secrets.ttlMilliseconds == 300_000)
    }

    @Test func neitherSecretNorCredentialsIsAConfigurationError() {
        let secrets = FunctionSecrets(environment: env(["DATABASE_URL": "postgresql://u@h/db"]))
        let error = #expect(throws: SecretsError.self) { try secrets.hmacSecret() }
        #expect(error?.code == .notConfigured)
        #expect(error?.subject == "HMAC_SECRET")
        #expect(throws: SecretsError.self) { try secrets.validateConfiguration() }
    }

    @Test func parameterNamesWithoutCredentialsAreConfigurationErrors() {
        let secrets = FunctionSecrets(environment: env(["HMAC_PARAM_NAME": "/p", "DATABASE_SECRET_ARN": "arn:aws:secretsmanager:x"]))
        let hmac = #expect(throws: SecretsError.self) { try secrets.hmacSecret() }
        #expect(hmac?.code == .notConfigured)
        #expect(hmac?.subject == "HMAC_PARAM_NAME")
        let database = #expect(throws: SecretsError.self) { try secrets.databaseURL() }
        #expect(database?.code == .notConfigured)
        #expect(database?.subject == "DATABASE_SECRET_ARN")
        let none = FunctionSecrets(environment: env(["HMAC_SECRET": "x"]))
        let missing = #expect(throws: SecretsError.self) { try none.databaseURL() }
        #expect(missing?.subject == "DATABASE_URL")
    }

    @Test(arguments: [("0", Int64(0)), ("45", 45_000), ("-1", 300_000), ("soon", 300_000), ("", 300_000)])
    func ttlComesFromTheEnvironment(_ value: String, _ milliseconds: Int64) {
        #expect(FunctionSecrets(environment: env(["SECRETS_TTL_SECONDS": value])).ttlMilliseconds == milliseconds)
    }

    // MARK: CA bundle

    @Test func caBundleSearchOrder() {
        let none: (String) -> String? = { _ in nil }
        #expect(CABundle.locate(environment: none, isReadable: { _ in true }) == "/etc/pki/tls/certs/ca-bundle.crt")
        #expect(CABundle.locate(environment: none, isReadable: { $0 == "/etc/ssl/certs/ca-certificates.crt" })
            == "/etc/ssl/certs/ca-certificates.crt")
        #expect(CABundle.locate(environment: none, isReadable: { _ in false }) == nil)
        let both = env(["WARDEN_CA_BUNDLE": "/opt/ca.pem", "SSL_CERT_FILE": "/etc/other.pem"])
        #expect(CABundle.locate(environment: both, isReadable: { _ in true }) == "/opt/ca.pem")
        #expect(CABundle.locate(environment: env(["SSL_CERT_FILE": "/etc/other.pem"]), isReadable: { _ in true }) == "/etc/other.pem")
        #expect(CABundle.locate(environment: env(["WARDEN_CA_BUNDLE": ""]), isReadable: { _ in false }) == nil)
    }

    @Test func thisMachineHasABundle() {
        // Debian 12 (and the Lambda image) ship one; HTTPS to AWS depends on it.
        #expect(CABundle.path != nil)
    }
}
