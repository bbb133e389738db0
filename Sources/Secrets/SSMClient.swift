internal import Curl
internal import WardenJSON

/// Reads parameters from AWS Systems Manager Parameter Store (`AmazonSSM.GetParameter`, JSON 1.1, signed by
/// libcurl with SigV4).
///
/// Owns (or shares) one keep-alive libcurl handle: use it from one thread at a time.
public struct SSMClient {
    let service: AWSJSONService

    /// A client for `credentials.region`.
    ///
    /// - Parameter endpoint: the service URL; `nil` resolves it from the process environment (see
    ///   `endpoint(region:environment:)`); a URL without a path gets `/`.
    public init(credentials: AWSCredentials, endpoint: String? = nil) throws(SecretsError) {
        service = try AWSJSONService.connect(
            signingName: "ssm", targetPrefix: "AmazonSSM", displayName: "SSM", credentials: credentials,
            endpoint: endpoint, resolve: Self.endpoint
        )
    }

    init(credentials: AWSCredentials, url: String, curl: CurlEasy) {
        service = AWSJSONService(signingName: "ssm", targetPrefix: "AmazonSSM", url: url, credentials: credentials, curl: curl)
    }

    /// `AWS_ENDPOINT_URL_SSM`, else `AWS_ENDPOINT_URL`, else `https://ssm.<region>.amazonaws.com/`.
    public static func endpoint(region: String, environment: (String) -> String?) throws(SecretsError) -> String {
        try AWSJSONService.endpoint(serviceVariable: "SSM", hostPrefix: "ssm", region: region, environment: environment)
    }

    /// The value of parameter `name` (a name such as `/copilot/hmac/v1`, or its ARN).
    ///
    /// - Parameters:
    ///   - withDecryption: decrypt a `SecureString` (needs `kms:Decrypt` on its key).
    ///   - timeoutMilliseconds: bound on the whole request, connection included.
    /// - Throws: `.notFound`, `.accessDenied`, `.unavailable` or `.malformed`; the error names the parameter only.
    public func getParameter(name: String, withDecryption: Bool = true, timeoutMilliseconds: Int = 2000)
        throws(SecretsError) -> String
    {
        let subject = "SSM parameter \(name)"
        guard !name.isEmpty, name.utf8.count <= 2048 else {
            throw SecretsError(.malformed, subject: "SSM parameter", reason: "the name is empty or too long")
        }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("Name")
        writer.string(name)
        writer.key("WithDecryption")
        writer.bool(withDecryption)
        writer.endObject()
        let answer = try service.call("GetParameter", payload: writer.bytes, subject: subject, timeoutMilliseconds: timeoutMilliseconds)
        guard let value = answer["Parameter"]?["Value"]?.stringValue else {
            throw SecretsError(.malformed, subject: subject, reason: "the answer has no Parameter.Value")
        }
        return value
    }
}
