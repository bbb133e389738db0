internal import Curl

/// AWS credentials and region as Lambda provides them in the environment.
///
/// Its description and reflection show the region only, never the keys or the token.
public struct AWSCredentials: Sendable, Equatable {
    /// `AWS_ACCESS_KEY_ID`.
    public var accessKeyID: String
    /// `AWS_SECRET_ACCESS_KEY`.
    public var secretAccessKey: String
    /// `AWS_SESSION_TOKEN` (temporary credentials, as on Lambda).
    public var sessionToken: String?
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    public var region: String

    /// Credentials given explicitly.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and `AWS_REGION` (else
    /// `AWS_DEFAULT_REGION`).
    ///
    /// Returns `nil` when either key is unset or empty. Throws `.notConfigured` when the keys are present but the
    /// region is missing or is not a region name.
    public static func fromEnvironment(_ environment: (String) -> String?) throws(SecretsError) -> AWSCredentials? {
        guard let accessKeyID = nonEmpty(environment("AWS_ACCESS_KEY_ID")),
            let secretAccessKey = nonEmpty(environment("AWS_SECRET_ACCESS_KEY"))
        else { return nil }
        guard let region = nonEmpty(environment("AWS_REGION")) ?? nonEmpty(environment("AWS_DEFAULT_REGION")) else {
            throw SecretsError(.notConfigured, subject: "AWS_REGION", reason: "AWS credentials are set but no region is")
        }
        guard isRegionName(region) else {
            throw SecretsError(.notConfigured, subject: "AWS_REGION", reason: "not a region name")
        }
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secretAccessKey,
            sessionToken: nonEmpty(environment("AWS_SESSION_TOKEN")), region: region
        )
    }

    /// Whether `name` looks like a region (`us-east-1`): lowercase letters, digits and dashes only, so it is safe in
    /// a host name and in libcurl's `aws:amz:<region>:<service>` provider string.
    static func isRegionName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// libcurl signing parameters for `service` (its signing name, e.g. `ssm`).
    func signing(service: String) -> AWSSigV4 {
        AWSSigV4(
            region: region, service: service, accessKeyID: accessKeyID, secretAccessKey: secretAccessKey,
            sessionToken: sessionToken
        )
    }
}

extension AWSCredentials: CustomStringConvertible, CustomReflectable {
    /// The region only.
    public var description: String { "AWSCredentials(region: \(region))" }

    /// Reflection shows the region only, so `dump` reveals no key.
    public var customMirror: Mirror { Mirror(self, children: ["region": region]) }
}

/// `value` unless it is `nil` or empty.
func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
