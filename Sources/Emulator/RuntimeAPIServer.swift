import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP/1.1 server (keep-alive, pipelining-safe, `Expect: 100-continue` aware) in front of the router.
final class RuntimeAPIServer: Sendable {
    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let router: RuntimeAPIRouter
    private let logger: Logger
    private let state = Mutex(ServerState())

    init(router: RuntimeAPIRouter, logger: Logger) {
        self.router = router
        self.logger = logger
    }

    /// Binds `host:port` (0 picks a port) and starts accepting; returns the bound port.
    func start(host: String, port: Int) async throws -> Int {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = listener.channel.localAddress?.port ?? port
        let task = Task { await self.acceptLoop(listener) }
        state.withLock { state in
            state.listener = listener.channel
            state.acceptTask = task
        }
        return boundPort
    }

    /// Closes the listener and every open connection, and waits for the connection handlers to finish.
    func stop() async {
        let (listener, connections, task) = state.withLock { state in
            (state.listener, Array(state.connections.values), state.acceptTask)
        }
        try? await listener?.close()
        for connection in connections { try? await connection.close() }
        await task?.value
    }

    private func acceptLoop(_ listener: NIOAsyncChannel<Connection, Never>) async {
        await withDiscardingTaskGroup { group in
            do {
                try await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            } catch {
                logger.debug("runtime API listener stopped: \(error)")
            }
        }
    }

    private func serve(_ connection: Connection) async {
        let id = ObjectIdentifier(connection.channel)
        state.withLock { $0.connections[id] = connection.channel }
        defer { state.withLock { _ = $0.connections.removeValue(forKey: id) } }
        // Whether this connection has carried Runtime API requests (then the supervisor counts it as open).
        var runtimeConnection = false
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var received = 0
                // A streamed `/response` in progress on this connection.
                var stream: IncomingStream?
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.clear()
                        received = 0
                        stream = nil
                        if !runtimeConnection, requestHead.uri.hasPrefix("/2018-06-01/") {
                            runtimeConnection = true
                            await router.runtimeConnectionOpened()
                        }
                        if let requestID = Self.streamedResponseID(requestHead) {
                            if Self.expectsContinue(requestHead) {
                                try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .continue)))
                            }
                            let contentType = requestHead.headers.first(name: "content-type") ?? "application/octet-stream"
                            let refusal = await router.beginStream(
                                requestID: requestID, invocationID: requestHead.headers.first(name: "lambda-runtime-invocation-id"),
                                contentType: contentType
                            )
                            stream = IncomingStream(requestID: requestID, refusal: refusal)
                            continue
                        }
                        guard Self.expectsContinue(requestHead) else { continue }
                        let declared = requestHead.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
                        if declared > Limits.maximumPayload, Route(path: Self.path(of: requestHead))?.carriesPayload == true {
                            // Refuse before the body is sent, then close: the client will not send it.
                            let request = Self.request(requestHead, body: [], receivedBytes: declared)
                            let answer = await router.handle(request)
                            _ = try await Self.write(answer, version: requestHead.version, keepAlive: false, to: outbound)
                            return
                        }
                        try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .continue)))
                    case .body(var chunk):
                        if let stream {
                            if stream.refusal == nil, chunk.readableBytes > 0 {
                                await router.streamChunk(requestID: stream.requestID, bytes: Array(chunk.readableBytesView))
                            }
                            continue
                        }
                        received += chunk.readableBytes
                        if received <= Limits.maximumPayload {
                            body.writeBuffer(&chunk)
                        } else if body.readableBytes > 0 {
                            body = ByteBuffer()
                        }
                    case .end(let trailers):
                        guard let requestHead = head else { continue }
                        head = nil
                        let answer: RouterAnswer
                        if let current = stream {
                            stream = nil
                            if let refusal = current.refusal {
                                answer = .reply(refusal)
                            } else {
                                var fields: [String: String] = [:]
                                for (name, value) in trailers ?? [:] where fields[name.lowercased()] == nil {
                                    fields[name.lowercased()] = value
                                }
                                answer = .reply(await router.endStream(requestID: current.requestID, trailers: fields))
                            }
                        } else {
                            let request = Self.request(requestHead, body: Array(body.readableBytesView), receivedBytes: received)
                            body.clear()
                            answer = await router.handle(request)
                        }
                        let keepAlive = try await Self.write(answer, version: requestHead.version, keepAlive: requestHead.isKeepAlive, to: outbound)
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("runtime API connection ended: \(error)")
        }
        if runtimeConnection { await router.runtimeConnectionClosed() }
    }

    /// The request id of a `POST /runtime/invocation/{id}/response` sent in streaming mode.
    private static func streamedResponseID(_ head: HTTPRequestHead) -> String? {
        guard head.method == .POST, case .response(let requestID)? = Route(path: path(of: head)),
              head.headers["lambda-runtime-function-response-mode"].contains(where: { $0.lowercased() == "streaming" })
        else { return nil }
        return requestID
    }

    private static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }

    private static func path(of head: HTTPRequestHead) -> String {
        String(head.uri.prefix { $0 != "?" })
    }

    private static func request(_ head: HTTPRequestHead, body: [UInt8], receivedBytes: Int) -> APIRequest {
        var headers: [String: String] = [:]
        for (name, value) in head.headers where headers[name.lowercased()] == nil {
            headers[name.lowercased()] = value
        }
        return APIRequest(method: head.method.rawValue, path: path(of: head), headers: headers, body: body, receivedBytes: receivedBytes)
    }

    /// Writes `answer`; returns whether the connection stays open.
    private static func write(
        _ answer: RouterAnswer,
        version: HTTPVersion,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> Bool {
        switch answer {
        case .reply(let reply):
            try await write(reply, version: version, keepAlive: keepAlive, to: outbound)
            return keepAlive
        case .stream(let reply):
            return try await write(reply, version: version, keepAlive: keepAlive, to: outbound)
        }
    }

    private static func write(
        _ reply: HTTPReply,
        version: HTTPVersion,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        if reply.status != 204 { headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.count)) }
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version == .http1_0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        var parts: [HTTPServerResponsePart] = [
            .head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: reply.status), headers: headers))
        ]
        if !reply.body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }

    /// Writes a streamed invoke response: `200`, each chunk as it arrives (chunked transfer encoding), and the error
    /// trailers if the invocation failed midway. HTTP/1.0 clients get the body up to a closed connection (no
    /// trailers). Returns whether the connection stays open.
    private static func write(
        _ reply: StreamedInvokeReply,
        version: HTTPVersion,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> Bool {
        let chunked = version.major > 1 || (version.major == 1 && version.minor >= 1)
        let keepOpen = keepAlive && chunked
        var headers = HTTPHeaders()
        for (name, value) in reply.headers where chunked || name.lowercased() != "trailer" {
            headers.add(name: name, value: value)
        }
        if chunked { headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked") }
        if !keepOpen { headers.replaceOrAdd(name: "Connection", value: "close") }
        try await outbound.write(.head(HTTPResponseHead(version: version, status: .ok, headers: headers)))
        var parts = reply.parts
        while let part = try await parts.next() {
            switch part {
            case .streamStarted:
                continue
            case .chunk(let bytes):
                guard !bytes.isEmpty else { continue }
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
            case .finished(let result):
                var trailers: HTTPHeaders?
                let fields = StreamedInvokeReply.trailers(for: result)
                if chunked, !fields.isEmpty { trailers = HTTPHeaders(fields) }
                try await outbound.write(.end(trailers))
                return keepOpen
            }
        }
        // Parts ended without a result (the emulator is shutting down): close without a proper end.
        throw EmulatorError.shutDown
    }
}

/// A streamed `/response` being received: its request id, and the refusal to answer at its end if it was refused.
private struct IncomingStream {
    var requestID: String
    var refusal: HTTPReply?
}
