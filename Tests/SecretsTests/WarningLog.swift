/// Collects the warnings `FunctionSecrets` emits.
final class WarningLog {
    private(set) var messages: [String] = []

    func record(_ message: String) { messages.append(message) }
}
