import Bytes
import Emulator
import Foundation
import Logging
import Synchronization
import WardenJSON

/// How the gateway serves a template.
public struct GatewayConfiguration: Sendable {
    /// Address of every listener. Default `127.0.0.1`.
    public var host: String
    /// Port of the API listener (every `Api` / `HttpApi` route); 0 picks one. Default 3000.
    public var port: Int
    /// First Function URL port (one listener per Function URL, consecutive); nil means `port + 1` (or a picked port
    /// when `port` is 0).
    public var functionURLPort: Int?
    /// Warm processes per function. Default 1.
    public var warm: Int
    public var region: String
    public var accountID: String
    /// Where the gateway's and the functions' lines go (nil: standard output).
    public var output: (@Sendable ([UInt8]) -> Void)?
    /// Print one line per request (`[gateway] POST /prod/calculate_health -> calculate_health 200 (12 ms)`).
    public var accessLog: Bool

    public init(
        host: String = "127.0.0.1", port: Int = 3000, functionURLPort: Int? = nil, warm: Int = 1, region: String = "us-east-1",
        accountID: String = "123456789012", output: (@Sendable ([UInt8]) -> Void)? = nil, accessLog: Bool = true
    ) {
        self.host = host
        self.port = port
        self.functionURLPort = functionURLPort
        self.warm = warm
        self.region = region
        self.accountID = accountID
        self.output = output
        self.accessLog = accessLog
    }
}

/// Where the gateway listens once started.
public struct GatewayAddresses: Sendable {
    /// The API listener's port (nil when the template has no routes).
    public var apiPort: Int?
    /// Each Function URL's port, by function name.
    public var functionURLPorts: [(function: String, port: Int)]
}

/// `warden gateway`: a local API Gateway built from a SAM template. It serves every `Api` (REST, payload 1.0) and
/// `HttpApi` (payload 2.0) route on one HTTP/1.1 listener — at `/<path>` and at `/<stage>/<path>` — and every
/// Function URL on a listener of its own; builds each event as API Gateway / Lambda does; runs the functions through
/// warm ``Emulator`` processes with the template's timeout, memory and environment; and maps the proxy responses
/// (buffered, or streamed for `InvokeMode: RESPONSE_STREAM`) back to HTTP, with API Gateway's error replies and CORS.
public final class Gateway: Sendable {
    public let template: GatewayTemplate
    public let configuration: GatewayConfiguration
    private let routes: RouteTable
    private let pools: [String: FunctionPool]
    private let console: ConsoleOutput
    private let logger = Logger(label: "warden.gateway")
    private let listeners = Mutex<[HTTPListener]>([])
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// API Gateway's payload limit: larger requests are refused before any function runs.
    static let maximumRequestBody = 10 * 1024 * 1024

    public init(template: GatewayTemplate, configuration: GatewayConfiguration) {
        self.template = template
        self.configuration = configuration
        self.routes = RouteTable(template: template)
        let console = ConsoleOutput(sink: configuration.output)
        self.console = console
        var pools: [String: FunctionPool] = [:]
        for function in template.functions where function.isServed && FileManager.default.isExecutableFile(atPath: function.bootstrap) {
            pools[function.name] = FunctionPool(definition: function, count: configuration.warm, region: configuration.region, output: console)
        }
        self.pools = pools
    }

    /// Functions that have routes or a Function URL but no executable bootstrap (their requests fail as an
    /// integration error would).
    public var missingBootstraps: [FunctionDefinition] {
        template.functions.filter { $0.isServed && pools[$0.name] == nil }
    }

    /// Starts every function's warm processes, then the listeners.
    public func start() async throws -> GatewayAddresses {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pool in pools.values { group.addTask { try await pool.start() } }
            try await group.waitForAll()
        }
        var addresses = GatewayAddresses(apiPort: nil, functionURLPorts: [])
        if !routes.isEmpty {
            let listener = HTTPListener(maximumBody: Self.maximumRequestBody, logger: logger) { [self] received, writer in
                try await self.serveAPI(received, writer)
            }
            addresses.apiPort = try await listener.start(host: configuration.host, port: configuration.port)
            listeners.withLock { $0.append(listener) }
        }
        var next = configuration.functionURLPort ?? (configuration.port == 0 ? 0 : configuration.port + 1)
        for function in template.functions {
            guard let url = function.functionURL else { continue }
            let name = function.name
            let listener = HTTPListener(maximumBody: Self.maximumRequestBody, logger: logger) { [self] received, writer in
                try await self.serveFunctionURL(name, url, received, writer)
            }
            let port = try await listener.start(host: configuration.host, port: next)
            listeners.withLock { $0.append(listener) }
            addresses.functionURLPorts.append((name, port))
            if next != 0 { next += 1 }
        }
        return addresses
    }

    /// Closes the listeners and stops every function process. Safe to call more than once.
    public func shutdown() async {
        let current = listeners.withLock { list -> [HTTPListener] in
            defer { list.removeAll() }
            return list
        }
        for listener in current { await listener.stop() }
        await withTaskGroup(of: Void.self) { group in
            for pool in pools.values { group.addTask { await pool.shutdown() } }
        }
        let waiters = stopped.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once ``shutdown()`` has run.
    public func waitUntilShutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = stopped.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: APIs

    private func serveAPI(_ received: ReceivedRequest, _ writer: ResponseWriter) async throws {
        let request = received.request
        let started = DispatchTime.now().uptimeNanoseconds
        let stamp = RequestStamp.now(region: configuration.region, accountID: configuration.accountID)
        var functionName = "-"
        var isHTTP = false
        let response: GatewayResponse
        switch routes.match(method: request.method, rawPath: request.rawPath) {
        case .failure(let kind):
            isHTTP = kind == .http
            // An HTTP API with CORS answers preflights even for paths that have no OPTIONS route.
            if CORS.isPreflight(request), case .success(let any) = routes.match(method: "*", rawPath: request.rawPath),
                any.api.kind == .http, let cors = any.api.cors
            {
                response = CORS.preflight(request, cors, status: 204)
            } else {
                response = kind == .rest ? .restMissingToken : .httpNotFound
            }
        case .success(let match):
            functionName = match.route.function
            isHTTP = match.api.kind == .http
            response = await integrate(match, received, stamp)
        }
        var headers = response.headers
        if isHTTP {
            headers.append(("Apigw-Requestid", stamp.extendedRequestID))
        } else {
            headers.append(("x-amzn-RequestId", stamp.requestID))
        }
        try await writer.send(GatewayResponse(status: response.status, headers: headers, body: response.body))
        logAccess(request, functionName, response.status, started)
    }

    private func integrate(_ match: RouteMatch, _ received: ReceivedRequest, _ stamp: RequestStamp) async -> GatewayResponse {
        let request = received.request
        let api = match.api
        let isHTTP = api.kind == .http
        if isHTTP, let cors = api.cors, CORS.isPreflight(request) {
            return CORS.preflight(request, cors, status: 204)
        }
        if received.bodyTooLarge { return isHTTP ? .httpTooLarge : .restTooLarge }
        let missing = Self.missingParameters(match, request)
        if !missing.isEmpty { return .restMissingParameters(missing) }
        let failure: GatewayResponse = isHTTP ? .httpInternalError : .restInternalError
        let refused: GatewayResponse = isHTTP ? .httpInternalError : .restInvokeFailed
        guard let pool = pools[match.route.function] else {
            console.line("[gateway] \(match.route.function): no bootstrap at \(template.function(match.route.function)?.bootstrap ?? "?")")
            return failure
        }
        let tenantID = match.route.tenantIDSource.flatMap { Self.tenantID($0, request, match) }
        if let reason = Self.invokeRefusal(pool.definition, tenantID: tenantID) {
            console.line("[gateway] \(match.route.function): Lambda refuses the invoke (InvalidParameterValueException: \(reason)) → \(refused.status)")
            return refused
        }
        let event = match.route.payloadFormat == .v1
            ? EventBuilder.version1(request, match: match, stamp: stamp)
            : EventBuilder.version2(request, match: match, stamp: stamp)
        let bytes = event.serialized()
        let result: InvocationResult?
        do {
            result = try await withDeadline(seconds: Double(match.route.timeoutMilliseconds) / 1000) {
                try await pool.invoke(bytes, tenantID: tenantID)
            }
        } catch EmulatorError.payloadTooLarge {
            return isHTTP ? .httpTooLarge : .restTooLarge
        } catch EmulatorError.tooManyRequests(let workers) {
            console.line("[gateway] \(match.route.function): throttled (TooManyRequestsException: all \(workers) concurrent invocations busy) → \(refused.status)")
            return refused
        } catch {
            console.line("[gateway] \(match.route.function): invocation failed: \(error)")
            return failure
        }
        guard let result else {
            console.line("[gateway] \(match.route.function): no answer within the integration timeout of \(match.route.timeoutMilliseconds) ms")
            return isHTTP ? .httpTimeout : .restTimeout
        }
        if result.isError {
            console.line("[gateway] \(match.route.function): function error \(result.errorType ?? "unknown") → \(failure.status)")
            return failure
        }
        let mapped = match.route.payloadFormat == .v1
            ? ResponseMapper.version1(result.body, request: request, api: api)
            : ResponseMapper.version2(result.body)
        guard var response = mapped else {
            console.line("[gateway] \(match.route.function): malformed Lambda proxy response → \(isHTTP ? 500 : 502)")
            return isHTTP ? .httpInternalError : .restInternalError
        }
        if isHTTP, let cors = api.cors {
            response.headers = CORS.decorate(response.headers, request: request, cors)
        }
        return response
    }

    /// The names of the parameters the route's request validator requires and the request lacks (empty values count
    /// as missing: API Gateway checks that they are "included and not blank").
    static func missingParameters(_ match: RouteMatch, _ request: GatewayRequest) -> [String] {
        match.route.requiredParameters.compactMap { parameter in
            let value: String?
            switch parameter.location {
            case .header: value = request.header(parameter.name)
            case .query: value = request.queryParameters.first { $0.0 == parameter.name }?.1
            case .path: value = match.pathParameters.first { $0.0 == parameter.name }?.1
            }
            return (value ?? "").isEmpty ? parameter.name : nil
        }
    }

    /// The tenant id a REST integration sends Lambda as `X-Amz-Tenant-Id` (nil when its source is absent or empty).
    static func tenantID(_ source: TenantIDSource, _ request: GatewayRequest, _ match: RouteMatch) -> String? {
        let value: String?
        switch source {
        case .header(let name): value = request.header(name)
        case .queryString(let name): value = request.queryParameters.first { $0.0 == name }?.1
        case .path(let name): value = match.pathParameters.first { $0.0 == name }?.1
        case .stageVariable(let name): value = match.api.stageVariables.first { $0.0 == name }?.1
        case .literal(let text): value = text
        }
        return value.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Why Lambda's Invoke API refuses the invoke for its tenant id, if it does: a function in tenant isolation mode
    /// must be invoked with one, any other without
    /// (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-troubleshooting.html, InvalidParameterValueException).
    static func invokeRefusal(_ function: FunctionDefinition, tenantID: String?) -> String? {
        if function.tenantIsolation && tenantID == nil {
            return "the function is in tenant isolation mode and the integration sends no X-Amz-Tenant-Id"
        }
        if !function.tenantIsolation && tenantID != nil {
            return "the integration sends X-Amz-Tenant-Id to a function not in tenant isolation mode"
        }
        return nil
    }

    // MARK: Function URLs

    private func serveFunctionURL(_ name: String, _ url: FunctionURLDefinition, _ received: ReceivedRequest, _ writer: ResponseWriter) async throws {
        let request = received.request
        let started = DispatchTime.now().uptimeNanoseconds
        let stamp = RequestStamp.now(region: configuration.region, accountID: configuration.accountID)
        var response: GatewayResponse
        if let cors = url.cors, CORS.isPreflight(request) {
            response = CORS.preflight(request, cors, status: 200)
        } else if received.bodyTooLarge {
            response = .urlTooLarge
        } else if let pool = pools[name], pool.definition.tenantIsolation {
            // Tenant isolation mode does not support Function URLs (no tenant id can be given).
            console.line("[gateway] \(name): Lambda refuses the invoke (tenant isolation mode, and a Function URL sends no tenant id) → 502")
            response = .urlInternalError
        } else if let pool = pools[name] {
            let event = EventBuilder.functionURL(request, url: url, stamp: stamp).serialized()
            if url.invokeMode == .responseStream {
                if let status = try await stream(name, url, pool, event, request, stamp, writer) {
                    logAccess(request, name, status, started)
                    return
                }
                response = .urlInternalError
            } else {
                response = await buffered(name, pool, event)
            }
            if let cors = url.cors { response.headers = CORS.decorate(response.headers, request: request, cors) }
        } else {
            console.line("[gateway] \(name): no bootstrap at \(template.function(name)?.bootstrap ?? "?")")
            response = .urlInternalError
        }
        response.headers.append(("x-amzn-RequestId", stamp.requestID))
        try await writer.send(response)
        logAccess(request, name, response.status, started)
    }

    private func buffered(_ name: String, _ pool: FunctionPool, _ event: [UInt8]) async -> GatewayResponse {
        do {
            let result = try await pool.invoke(event)
            if result.isError {
                console.line("[gateway] \(name): function error \(result.errorType ?? "unknown") → 502")
                return .urlInternalError
            }
            guard let response = ResponseMapper.version2(result.body) else {
                console.line("[gateway] \(name): malformed response → 502")
                return .urlInternalError
            }
            return response
        } catch EmulatorError.payloadTooLarge {
            return .urlTooLarge
        } catch {
            console.line("[gateway] \(name): invocation failed: \(error)")
            return .urlInternalError
        }
    }

    /// A `RESPONSE_STREAM` Function URL: the function's stream is forwarded chunk by chunk with chunked encoding. With
    /// the http-integration content type, the JSON prelude before 8 NUL bytes gives status, headers and cookies. A
    /// failure after the head was sent ends the body with the `Lambda-Runtime-Function-Error-Type` and
    /// `Lambda-Runtime-Function-Error-Body` (base64) trailers. Returns the status sent, or nil when nothing was sent
    /// (the caller answers 502).
    private func stream(
        _ name: String, _ url: FunctionURLDefinition, _ pool: FunctionPool, _ event: [UInt8], _ request: GatewayRequest,
        _ stamp: RequestStamp, _ writer: ResponseWriter
    ) async throws -> Int? {
        let console = self.console
        let outcome = try? await pool.withInstance { emulator -> StreamOutcome in
            let parts: AsyncThrowingStream<InvocationPart, any Error>
            do {
                parts = try await emulator.invokeStreaming(event: event)
            } catch EmulatorError.payloadTooLarge {
                try? await writer.send(.urlTooLarge)
                return .sent(413)
            }
            var state = StreamState.waiting
            var sentStatus: Int?
            var clientGone = false
            func begin(_ status: Int, _ headers: [(String, String)]) async {
                var headers = headers
                if let cors = url.cors { headers = CORS.decorate(headers, request: request, cors) }
                headers.append(("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"))
                headers.append(("x-amzn-RequestId", stamp.requestID))
                do { try await writer.start(status: status, headers: headers) } catch { clientGone = true }
                sentStatus = status
            }
            func forward(_ bytes: [UInt8]) async {
                guard !clientGone else { return }
                do { try await writer.write(bytes) } catch { clientGone = true }
            }
            do {
                for try await part in parts {
                    switch part {
                    case .streamStarted(let contentType):
                        if contentType.caseInsensitiveEquals(StreamingPrelude.contentType) {
                            state = .prelude([])
                        } else {
                            state = .body
                            await begin(200, [("Content-Type", contentType)])
                        }
                    case .chunk(let bytes):
                        switch state {
                        case .waiting:
                            state = .body
                            await begin(200, [])
                            await forward(bytes)
                        case .body:
                            await forward(bytes)
                        case .prelude(var buffer):
                            buffer += bytes
                            if let (head, rest) = StreamingPrelude.split(buffer) {
                                guard let prelude = StreamingPrelude.parse(head) else {
                                    console.line("[gateway] \(name): malformed http-integration prelude → 502")
                                    state = .failed
                                    continue
                                }
                                state = .body
                                await begin(prelude.status, prelude.headers)
                                await forward(rest)
                            } else {
                                state = .prelude(buffer)
                            }
                        case .failed:
                            break
                        }
                    case .finished(let result):
                        if sentStatus == nil {
                            // Nothing streamed (a buffered answer, or a failure before the head).
                            if case .waiting = state, !result.isError, let response = ResponseMapper.version2(result.body) {
                                var headers = response.headers
                                if let cors = url.cors { headers = CORS.decorate(headers, request: request, cors) }
                                headers.append(("x-amzn-RequestId", stamp.requestID))
                                try? await writer.send(GatewayResponse(status: response.status, headers: headers, body: response.body))
                                return .sent(response.status)
                            }
                            if result.isError { console.line("[gateway] \(name): function error \(result.errorType ?? "unknown") → 502") }
                            return .nothing
                        }
                        if clientGone { return .sent(sentStatus ?? 200) }
                        if result.isError {
                            console.line("[gateway] \(name): stream failed midway (\(result.errorType ?? "unknown")); ending it with error trailers")
                            try? await writer.finish(trailers: [
                                ("Lambda-Runtime-Function-Error-Type", result.errorType ?? "Runtime.Unknown"),
                                ("Lambda-Runtime-Function-Error-Body", Base64.standard.encode(result.body)),
                            ])
                        } else {
                            try? await writer.finish()
                        }
                        return .sent(sentStatus ?? 200)
                    }
                }
            } catch {
                // The stream broke without a result (the emulator went away): end what was sent as failed.
                guard sentStatus != nil else { return .nothing }
                if !clientGone {
                    try? await writer.finish(trailers: [
                        ("Lambda-Runtime-Function-Error-Type", "Runtime.StreamInterrupted"),
                        ("Lambda-Runtime-Function-Error-Body", Base64.standard.encode(Array(#"{"errorMessage":"the response stream was interrupted","errorType":"Runtime.StreamInterrupted"}"#.utf8))),
                    ])
                }
                return .sent(sentStatus ?? 200)
            }
            if sentStatus != nil, !clientGone { try? await writer.finish() }
            return sentStatus.map(StreamOutcome.sent) ?? .nothing
        }
        guard case .sent(let status)? = outcome else { return nil }
        return status
    }

    private enum StreamOutcome: Sendable {
        case sent(Int)
        case nothing
    }

    private enum StreamState {
        case waiting
        case prelude([UInt8])
        case body
        case failed
    }

    private func logAccess(_ request: GatewayRequest, _ function: String, _ status: Int, _ started: UInt64) {
        guard configuration.accessLog else { return }
        let millis = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        console.line("[gateway] \(request.method) \(request.rawPath) -> \(function) \(status) (\(millis) ms)")
    }
}

/// The Function URL http-integration prelude: `{"statusCode", "headers", "cookies"}` JSON, then 8 NUL bytes, then the
/// body (content type `application/vnd.awslambda.http-integration-response`).
enum StreamingPrelude {
    static let contentType = "application/vnd.awslambda.http-integration-response"

    /// The prelude and the bytes after the delimiter, once the delimiter has arrived.
    static func split(_ buffer: [UInt8]) -> ([UInt8], [UInt8])? {
        guard buffer.count >= 8 else { return nil }
        var run = 0
        for (index, byte) in buffer.enumerated() {
            run = byte == 0 ? run + 1 : 0
            if run == 8 { return (Array(buffer[..<(index - 7)]), Array(buffer[(index + 1)...])) }
        }
        return nil
    }

    static func parse(_ bytes: [UInt8]) -> (status: Int, headers: [(String, String)])? {
        guard let root = VerbatimJSON.parse(bytes), root.value.objectValue != nil else { return nil }
        let status = root["statusCode"]?.intValue ?? 200
        guard (100...599).contains(status) else { return nil }
        var headers: [(String, String)] = []
        for (name, json) in root["headers"]?.members ?? [] {
            switch json.value {
            case .string(let text): headers.append((name, text))
            case .int, .double: headers.append((name, json.numberText ?? ""))
            case .bool(let flag): headers.append((name, flag ? "true" : "false"))
            default: return nil
            }
        }
        headers.removeAll { ResponseMapper.dropped.contains($0.0.asciiLowercased) }
        if case .array(let cookies)? = root["cookies"]?.value {
            for cookie in cookies {
                guard let text = cookie.stringValue else { return nil }
                headers.append(("Set-Cookie", text))
            }
        }
        return (status, headers)
    }
}
