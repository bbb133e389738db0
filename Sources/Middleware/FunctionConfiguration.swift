internal import Platform

/// Settings every tool function reads from its environment at init (secrets come from `FunctionSecrets`).
public struct FunctionConfiguration: Sendable {
    /// CORS and security headers (`ALLOWED_ORIGIN`).
    public let cors: CORSPolicy
    /// Largest accepted request body, in bytes (`MAX_BODY_BYTES`, default 256 KiB).
    public let maxBodyBytes: Int

    public init(cors: CORSPolicy, maxBodyBytes: Int = 256 * 1024) {
        self.cors = cors
        self.maxBodyBytes = maxBodyBytes
    }

    /// Reads `ALLOWED_ORIGIN` and `MAX_BODY_BYTES`.
    public static func fromEnvironment() -> FunctionConfiguration {
        let maxBody = Platform.environment("MAX_BODY_BYTES").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        return FunctionConfiguration(
            cors: CORSPolicy(allowedOriginSetting: Platform.environment("ALLOWED_ORIGIN")),
            maxBodyBytes: maxBody ?? 256 * 1024
        )
    }
}
