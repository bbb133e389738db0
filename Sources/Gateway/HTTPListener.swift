import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Writes one response to a connection: whole (`send`) or streamed with chunked transfer encoding (`start`, `write`,
/// `finish` with optional trailers).
struct ResponseWriter: Sendable {
    fileprivate let outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    fileprivate let version: HTTPVersion
    fileprivate let keepAlive: Bool
    fileprivate let isHead: Bool

    private enum Framing {
        case length(Int)
        case chunked
        case none
    }

    private func head(_ status: Int, _ headers: [(String, String)], _ framing: Framing) -> HTTPResponseHead {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name: name, value: value) }
        switch framing {
        case .length(let count): fields.replaceOrAdd(name: "Content-Length", value: String(count))
        case .chunked: fields.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        case .none: break
        }
        if !keepAlive {
            fields.replaceOrAdd(name: "Connection", value: "close")
        } else if version == .http1_0 {
            fields.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: fields)
    }

    func send(_ response: GatewayResponse) async throws {
        let bodiless = response.status == 204 || response.status == 304 || response.status < 200
        var parts: [HTTPServerResponsePart] = [.head(head(response.status, response.headers, bodiless ? .none : .length(response.body.count)))]
        if !bodiless && !isHead && !response.body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: response.body)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }

    /// Begins a chunked response (HTTP/1.1).
    func start(status: Int, headers: [(String, String)]) async throws {
        try await outbound.write(.head(head(status, headers, .chunked)))
    }

    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty, !isHead else { return }
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
    }

    /// Ends a chunked response, with HTTP trailers when given.
    func finish(trailers: [(String, String)] = []) async throws {
        if trailers.isEmpty {
            try await outbound.write(.end(nil))
        } else {
            var fields = HTTPHeaders()
            for (name, value) in trailers { fields.add(name: name, value: value) }
            try await outbound.write(.end(fields))
        }
    }
}

/// A request as the listener hands it over: the request, and whether its body exceeded the limit (then dropped).
struct ReceivedRequest: Sendable {
    var request: GatewayRequest
    var bodyTooLarge: Bool
}

/// An HTTP/1.1 server (keep-alive, `Expect: 100-continue`) handing each complete request to a handler.
final class HTTPListener: Sendable {
    typealias Handler = @Sendable (ReceivedRequest, ResponseWriter) async throws -> Void
    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var acceptTask: Task<Void, Never>?
    }

    private let handler: Handler
    private let logger: Logger
    private let maximumBody: Int
    private let state = Mutex(State())

    init(maximumBody: Int, logger: Logger, handler: @escaping Handler) {
        self.handler = handler
        self.logger = logger
        self.maximumBody = maximumBody
    }

    /// Binds `host:port` (0 picks one) and returns the bound port.
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
        let bound = listener.channel.localAddress?.port ?? port
        let task = Task { await self.acceptLoop(listener, port: bound) }
        state.withLock { state in
            state.listener = listener.channel
            state.acceptTask = task
        }
        return bound
    }

    func stop() async {
        let (listener, connections, task) = state.withLock { ($0.listener, Array($0.connections.values), $0.acceptTask) }
        try? await listener?.close()
        for connection in connections { try? await connection.close() }
        await task?.value
    }

    private func acceptLoop(_ listener: NIOAsyncChannel<Connection, Never>, port: Int) async {
        await withDiscardingTaskGroup { group in
            do {
                try await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection, port: port) }
                    }
                }
            } catch {
                logger.debug("gateway listener stopped: \(error)")
            }
        }
    }

    private func serve(_ connection: Connection, port: Int) async {
        let id = ObjectIdentifier(connection.channel)
        state.withLock { $0.connections[id] = connection.channel }
        defer { state.withLock { _ = $0.connections.removeValue(forKey: id) } }
        let sourceIP = connection.channel.remoteAddress?.ipAddress ?? "127.0.0.1"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.removeAll(keepingCapacity: true)
                        tooLarge = false
                        if requestHead.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                            let declared = requestHead.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
                            if declared > maximumBody {
                                tooLarge = true
                                let writer = ResponseWriter(outbound: outbound, version: requestHead.version, keepAlive: false, isHead: false)
                                try await handler(ReceivedRequest(request: Self.request(requestHead, [], sourceIP, port), bodyTooLarge: true), writer)
                                return
                            }
                            try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .continue)))
                        }
                    case .body(let chunk):
                        if body.count + chunk.readableBytes > maximumBody {
                            tooLarge = true
                            body = []
                        } else if !tooLarge {
                            body.append(contentsOf: chunk.readableBytesView)
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let keepAlive = requestHead.isKeepAlive && !tooLarge
                        let writer = ResponseWriter(outbound: outbound, version: requestHead.version, keepAlive: keepAlive, isHead: requestHead.method == .HEAD)
                        let request = Self.request(requestHead, body, sourceIP, port)
                        body = []
                        try await handler(ReceivedRequest(request: request, bodyTooLarge: tooLarge), writer)
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("gateway connection ended: \(error)")
        }
    }

    private static func request(_ head: HTTPRequestHead, _ body: [UInt8], _ sourceIP: String, _ port: Int) -> GatewayRequest {
        let version = "HTTP/\(head.version.major).\(head.version.minor)"
        return GatewayRequest(
            method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body,
            sourceIP: sourceIP, protocolName: version, port: port
        )
    }
}
