public import LambdaRuntime
internal import Platform
public import Secrets

extension FunctionSecrets {
    /// The function's secrets, made once per process and shared by every worker (see `LambdaRuntime.run`); warnings
    /// go to the process logger. An invalid `SECRETS_TTL_SECONDS` fails the initialization (`SettingsReader`)
    /// instead of becoming the default.
    public static func forFunction(_ context: InitContext) throws(InitializationError) -> FunctionSecrets {
        _ = try SettingsReader(Platform.environment).integer("SECRETS_TTL_SECONDS", in: 0...maxTTLSeconds)
        let logger = context.logger
        return FunctionSecrets(warning: { logger.warning("\($0)") })
    }
}
