public import LambdaRuntime
public import Secrets

extension FunctionSecrets {
    /// The function's secrets, made once per process and shared by every worker (see `LambdaRuntime.run`); warnings
    /// go to the process logger.
    public static func forFunction(_ context: InitContext) -> FunctionSecrets {
        let logger = context.logger
        return FunctionSecrets(warning: { logger.warning("\($0)") })
    }
}
