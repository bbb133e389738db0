internal import Bytes
internal import Curl
internal import Logging
internal import Platform

/// An internal extension registered for no events, so that Lambda sends the runtime SIGTERM at shutdown.
///
/// Lambda signals a runtime only when at least one extension is registered: without one the process is simply
/// killed, and database connections end without the Terminate message. AWS's guidance for graceful shutdown
/// (aws-samples/graceful-shutdown-with-aws-lambda) registers an internal extension with `{"events": []}` and parks
/// it on its `event/next`; internal extensions cannot subscribe to `SHUTDOWN` themselves, so SIGTERM is the signal.
/// Lambda allows 500 ms between SIGTERM and SIGKILL when only internal extensions are registered.
///
/// Registration happens during init, before the runtime's first `/next`. The `event/next` request is then written on
/// a connection of its own that stays open for the life of the process, its answer never read
/// (``CurlEasy/sendAndAbandon(url:request:timeoutMilliseconds:)``): no thread waits on it, so a single-worker process
/// stays single-threaded, and the invocation path never touches it. A Runtime API without the Extensions API (an
/// older emulator) answers something other than 200: the function then runs without it, as before.
/// `WARDEN_SHUTDOWN_EXTENSION=off` skips registration.
enum ShutdownExtension {
    /// The name the extension registers under (`Lambda-Extension-Name`).
    static let name = "warden-shutdown"
    /// Bound on the registration request: it runs during init, on the cold-start path.
    static let registerTimeoutMilliseconds = 2000

    /// Registers the extension and sends its `event/next`. Returns the handle holding that request's connection:
    /// keep it for the life of the process (`nil` when nothing was registered).
    static func register(runtimeAPI: String, logger: Logger) -> CurlEasy? {
        if Platform.environment("WARDEN_SHUTDOWN_EXTENSION") == "off" { return nil }
        let trimmed = runtimeAPI.hasSuffix("/") ? String(runtimeAPI.dropLast()) : runtimeAPI
        // `host:port`, optionally followed by a path prefix.
        let hostEnd = trimmed.utf8.firstIndex(of: UInt8(ascii: "/")) ?? trimmed.utf8.endIndex
        let host = String(trimmed[..<hostEnd])
        let prefix = String(trimmed[hostEnd...])
        let base = "http://\(trimmed)/2020-01-01/extension"
        do {
            let curl = try CurlEasy()
            let response = try curl.perform(
                method: "POST", url: base + "/register",
                headers: [HTTPHeader("Lambda-Extension-Name", name), HTTPHeader("Content-Type", "application/json")],
                body: Array(#"{"events":[]}"#.utf8), timeoutMilliseconds: registerTimeoutMilliseconds
            )
            guard response.status == 200, let id = response.header("Lambda-Extension-Identifier"), !id.isEmpty,
                !id.utf8.contains(where: { $0.isASCIIControl || $0 == UInt8(ascii: " ") })
            else {
                logger.debug("shutdown extension not registered", metadata: ["status": "\(response.status)"])
                return nil
            }
            let request = "GET \(prefix)/2020-01-01/extension/event/next HTTP/1.1\r\nHost: \(host)\r\n"
                + "Lambda-Extension-Identifier: \(id)\r\n\r\n"
            let parked = try CurlEasy()
            try parked.sendAndAbandon(url: "http://\(host)/", request: Array(request.utf8), timeoutMilliseconds: registerTimeoutMilliseconds)
            return parked
        } catch {
            logger.warning("shutdown extension not parked", metadata: ["error.detail": "\(error.description)"])
            return nil
        }
    }
}
