/// What libcurl needs to sign one request with AWS Signature Version 4 (`CURLOPT_AWS_SIGV4`).
///
/// Its description and reflection show the provider scope only, never the keys or the token.
public struct AWSSigV4: Sendable {
    /// libcurl's provider string, `aws:amz:<region>:<service>`, e.g. `aws:amz:us-east-1:ssm`.
    public var provider: String
    /// The access key id (`AWS_ACCESS_KEY_ID`).
    public var accessKeyID: String
    /// The secret access key (`AWS_SECRET_ACCESS_KEY`).
    public var secretAccessKey: String
    /// The session token of temporary credentials (`AWS_SESSION_TOKEN`), sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    /// Signing with an explicit libcurl provider string.
    public init(provider: String, accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.provider = provider
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Signing for `service` (the signing name, e.g. `ssm`, `secretsmanager`) in `region`.
    public init(region: String, service: String, accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.init(
            provider: "aws:amz:\(region):\(service)", accessKeyID: accessKeyID, secretAccessKey: secretAccessKey,
            sessionToken: sessionToken
        )
    }
}

extension AWSSigV4: CustomStringConvertible, CustomReflectable {
    /// The provider scope only.
    public var description: String { "AWSSigV4(\(provider))" }

    /// Reflection shows the provider only, so `dump` and string interpolation of containers reveal no secret.
    public var customMirror: Mirror { Mirror(self, children: ["provider": provider]) }
}
