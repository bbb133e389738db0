public import LambdaRuntime
internal import Platform
public import Secrets

extension FunctionSecrets {
    /// Longest `SECRETS_TTL_SECONDS`: ten years (twice the TTL must not overflow).
    static let maxTTLSeconds: Int64 = 315_360_000

    /// The function's secrets, made once per process and shared by every worker (see `LambdaRuntime.run`); warnings
    /// go to the process logger. An invalid `SECRETS_TTL_SECONDS` fails the initialization (`SettingsReader`)
    /// instead of becoming the default.
    public static func forFunction(_ context: InitContext) throws(InitializationError) -> FunctionSecrets {
        try forFunction(context, environment: Platform.environment)
    }

    static func forFunction(
        _ context: InitContext, environment: @escaping (String) -> String?
    ) throws(InitializationError) -> FunctionSecrets {
        _ = try SettingsReader(environment).integer("SECRETS_TTL_SECONDS", in: 0...maxTTLSeconds)
        let logger = context.logger
        return FunctionSecrets(warning: { logger.warning("\($0)") })
    }
}
