internal import Bytes
internal import Curl
internal import WardenJSON

/// Reads secrets from AWS Secrets Manager (`secretsmanager.GetSecretValue`, JSON 1.1, signed by libcurl with SigV4).
///
/// Owns (or shares) one keep-alive libcurl handle: use it from one thread at a time.
public struct SecretsManagerClient {
    let service: AWSJSONService

    /// A client for `credentials.region`.
    ///
    /// - Parameter endpoint: the service URL; `nil` resolves it from the process environment (see
    ///   `endpoint(region:environment:)`); a URL without a path gets `/`.
    public init(credentials: AWSCredentials, endpoint: String? = nil) throws(SecretsError) {
        service = try AWSJSONService.connect(
            signingName: "secretsmanager", targetPrefix: "secretsmanager", displayName: "Secrets Manager", credentials: credentials,
            endpoint: endpoint, resolve: Self.endpoint
        )
    }

    init(credentials: AWSCredentials, url: String, curl: CurlEasy) {
        service = AWSJSONService(
            signingName: "secretsmanager", targetPrefix: "secretsmanager", url: url, credentials: credentials, curl: curl
        )
    }

    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`, else
    /// `https://secretsmanager.<region>.amazonaws.com/`.
    public static func endpoint(region: String, environment: (String) -> String?) throws(SecretsError) -> String {
        try AWSJSONService.endpoint(
            serviceVariable: "SECRETS_MANAGER", hostPrefix: "secretsmanager", region: region, environment: environment
        )
    }

    /// The current value (`AWSCURRENT`) of secret `secretId` (its name or ARN): its `SecretString`, or its
    /// `SecretBinary` when that holds UTF-8 text.
    ///
    /// - Parameter timeoutMilliseconds: bound on the whole request, connection included.
    /// - Throws: `.notFound`, `.accessDenied`, `.unavailable` or `.malformed`; the error names the secret id only.
    public func getSecretValue(secretId: String, timeoutMilliseconds: Int = 2000) throws(SecretsError) -> String {
        let subject = "Secrets Manager secret \(secretId)"
        guard !secretId.isEmpty, secretId.utf8.count <= 2048 else {
            throw SecretsError(.malformed, subject: "Secrets Manager secret", reason: "the id is empty or too long")
        }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("SecretId")
        writer.string(secretId)
        writer.endObject()
        let answer = try service.call(
            "GetSecretValue", payload: writer.bytes, subject: subject, timeoutMilliseconds: timeoutMilliseconds
        )
        if let value = answer["SecretString"]?.stringValue { return value }
        if let encoded = answer["SecretBinary"]?.stringValue, let bytes = Base64.standard.decode(encoded),
            let text = String(validating: bytes, as: UTF8.self)
        {
            return text
        }
        throw SecretsError(.malformed, subject: subject, reason: "the answer has no SecretString")
    }
}
