internal import Curl
internal import Logging
internal import Platform
internal import WardenJSON

/// An internal extension registered for no events, so that Lambda sends the runtime SIGTERM at shutdown.
///
/// Lambda signals a runtime only when at least one extension is registered: without one the process is simply
/// killed, and database connections end without the Terminate message. AWS's guidance for graceful shutdown
/// (aws-samples/graceful-shutdown-with-aws-lambda) registers an internal extension with `{"events": []}` and parks a
/// thread on its `event/next`; internal extensions cannot subscribe to `SHUTDOWN` themselves, so SIGTERM is the
/// signal. Lambda allows 500 ms between SIGTERM and SIGKILL when only internal extensions are registered.
///
/// Registration happens during init, before the runtime's first `/next`. A Runtime API without the Extensions API
/// (an older emulator) answers something other than 200: the function then runs without it, as before.
/// `WARDEN_SHUTDOWN_EXTENSION=off` skips registration.
enum ShutdownExtension {
    /// The name the extension registers under (`Lambda-Extension-Name`).
    static let name = "warden-shutdown"
    /// Bound on the registration request: it runs during init, on the cold-start path.
    static let registerTimeoutMilliseconds = 2000

    /// Registers the extension and parks a thread on its `event/next`; a `SHUTDOWN` event (should Lambda ever
    /// deliver one) terminates `lifecycle` like SIGTERM does.
    static func register(runtimeAPI: String, lifecycle: Lifecycle, logger: Logger) {
        if Platform.environment("WARDEN_SHUTDOWN_EXTENSION") == "off" { return }
        let trimmed = runtimeAPI.hasSuffix("/") ? String(runtimeAPI.dropLast()) : runtimeAPI
        let base = "http://\(trimmed)/2020-01-01/extension"
        let curl: CurlEasy
        let identifier: String
        do {
            curl = try CurlEasy()
            let response = try curl.perform(
                method: "POST", url: base + "/register",
                headers: [HTTPHeader("Lambda-Extension-Name", name), HTTPHeader("Content-Type", "application/json")],
                body: Array(#"{"events":[]}"#.utf8), timeoutMilliseconds: registerTimeoutMilliseconds
            )
            guard response.status == 200, let id = response.header("Lambda-Extension-Identifier"), !id.isEmpty else {
                logger.debug("shutdown extension not registered", metadata: ["status": "\(response.status)"])
                return
            }
            identifier = id
        } catch {
            logger.debug("shutdown extension not registered", metadata: ["error.detail": "\(error.description)"])
            return
        }
        let started = Threads.start {
            waitForShutdown(curl: curl, url: base + "/event/next", identifier: identifier, lifecycle: lifecycle, logger: logger)
        }
        if !started { logger.warning("shutdown extension thread could not start") }
    }

    /// Waits on `event/next` for as long as the process lives. Any answer but an event ends the wait quietly: the
    /// process keeps serving, and SIGTERM still works.
    private static func waitForShutdown(curl: CurlEasy, url: String, identifier: String, lifecycle: Lifecycle, logger: Logger) {
        while true {
            let response: HTTPResponse
            do {
                response = try curl.perform(method: "GET", url: url, headers: [HTTPHeader("Lambda-Extension-Identifier", identifier)])
            } catch {
                logger.debug("shutdown extension stopped", metadata: ["error.detail": "\(error.description)"])
                return
            }
            guard response.status == 200 else {
                logger.debug("shutdown extension stopped", metadata: ["status": "\(response.status)"])
                return
            }
            if let event = try? JSON.parse(response.body), event["eventType"] == .string("SHUTDOWN") {
                lifecycle.terminate()
                return
            }
        }
    }
}
