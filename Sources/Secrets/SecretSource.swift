/// Where one secret comes from, decided once from the environment.
enum SecretSource: Equatable {
    /// The value of an environment variable.
    case environment(variable: String, value: String)
    /// An SSM parameter, read with decryption.
    case ssmParameter(name: String)
    /// A Secrets Manager secret (name or ARN).
    case secretsManager(secretId: String)

    /// What the source is, for messages (names only, never the value).
    var subject: String {
        switch self {
        case .environment(let variable, _): "environment variable \(variable)"
        case .ssmParameter(let name): "SSM parameter \(name)"
        case .secretsManager(let secretId): "Secrets Manager secret \(secretId)"
        }
    }
}
