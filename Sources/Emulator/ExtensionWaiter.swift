/// A parked `GET /2020-01-01/extension/event/next` of an extension.
struct ExtensionWaiter {
    /// Generation of the process that registered the extension.
    var generation: Int
    /// `Lambda-Extension-Identifier` of the extension.
    var extensionID: String
    var continuation: CheckedContinuation<HTTPReply, Never>
}
