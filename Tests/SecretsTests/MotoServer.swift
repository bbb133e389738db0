import Foundation

/// A real moto server, started by a Python helper (`MotoHelperScript`): the suite's shared one (`shared`), or one of
/// a test's own (`MotoServer.start()`) when the test stops it or needs state nobody else sees.
///
/// Authentication is always enforced: every request must carry a valid SigV4 signature of a known key, and IAM
/// policies are checked (the helper's own setup uses an administrator's key). Tests sharing the server keep to
/// parameter and secret names of their own (`MotoNames`), so their order does not matter. Identities: `user` (an IAM user allowed `ssm:GetParameter`,
/// `secretsmanager:GetSecretValue`, `kms:Decrypt`), `nobody` (a user without any policy) and `role` (temporary
/// credentials of an assumed role with the same policy as `user`, with a session token — what Lambda provides).
///
/// The helper exits when this process's end of its standard input closes, i.e. when the test process ends.
final class MotoServer: @unchecked Sendable {
    /// One access key.
    struct Keys: Decodable, Sendable {
        let accessKeyID: String
        let secretAccessKey: String
        let sessionToken: String?
    }

    private struct Startup: Decodable {
        let port: Int?
        let echoPort: Int?
        let tlsPort: Int?
        let caFile: String?
        let user: Keys?
        let nobody: Keys?
        let role: Keys?
        let error: String?
    }

    private struct Reply: Decodable {
        let ok: Bool
        let result: String?
        let error: String?
    }

    /// A failure of the helper, with what it printed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// moto's port.
    let port: Int
    /// Port of the echo server: it answers every request with `{"headers": {lowercased name: value}, "body": …}`
    /// (paths starting with `/sleep` wait 1.5 s first).
    let echoPort: Int
    /// Port of the same echo server over TLS, with a self-signed certificate for 127.0.0.1.
    let tlsPort: Int
    /// PEM file of that certificate: the only CA bundle that trusts `tlsPort`.
    let caFile: String
    let user: Keys
    let nobody: Keys
    let role: Keys

    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private let errorLog: URL
    private let lock = NSLock()
    private var buffer: [UInt8] = []

    /// The suite's server, started on first use.
    static let shared: Result<MotoServer, any Error> = Result { try MotoServer() }

    /// A server of the caller's own (its own process, ports and state); it ends with the test process, or earlier
    /// when the value is released.
    static func start() throws -> MotoServer { try MotoServer() }

    /// moto's endpoint URL.
    var url: String { "http://127.0.0.1:\(port)" }
    /// The echo server's base URL.
    var echoURL: String { "http://127.0.0.1:\(echoPort)" }
    /// The TLS echo server's base URL.
    var tlsURL: String { "https://127.0.0.1:\(tlsPort)" }

    private init() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", MotoHelperScript.source]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        // The helper's own boto3 calls must not be redirected or signed with ambient credentials.
        for name in ["AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
            environment[name] = nil
        }
        process.environment = environment
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("warden-moto-\(getpid()).log")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = try FileHandle(forWritingTo: errorLog)
        input = stdinPipe.fileHandleForWriting
        output = stdoutPipe.fileHandleForReading
        try process.run()

        let line = try Self.readLine(from: output, buffer: &buffer, errorLog: errorLog)
        let startup = try JSONDecoder().decode(Startup.self, from: Data(line.utf8))
        if let error = startup.error { throw Failure(description: error) }
        guard let port = startup.port, let echoPort = startup.echoPort, let tlsPort = startup.tlsPort,
            let caFile = startup.caFile, let user = startup.user,
            let nobody = startup.nobody, let role = startup.role
        else { throw Failure(description: "moto helper: unexpected first line") }
        // The helper keeps writing to the open file; the name is no longer needed once it has started.
        try? FileManager.default.removeItem(at: errorLog)
        self.port = port
        self.echoPort = echoPort
        self.tlsPort = tlsPort
        self.caFile = caFile
        self.user = user
        self.nobody = nobody
        self.role = role
    }

    /// Creates or overwrites SSM parameter `name` (a `SecureString` unless `type` says otherwise).
    func putParameter(_ name: String, _ value: String, type: String = "SecureString") throws {
        _ = try command(["op": "putParameter", "name": name, "value": value, "type": type])
    }

    /// Deletes SSM parameter `name`.
    func deleteParameter(_ name: String) throws {
        _ = try command(["op": "deleteParameter", "name": name])
    }

    /// Creates secret `name` or gives it a new current value; returns its ARN.
    @discardableResult
    func putSecret(_ name: String, _ value: String) throws -> String {
        guard let arn = try command(["op": "putSecret", "name": name, "value": value]) else {
            throw Failure(description: "moto helper: putSecret returned no ARN")
        }
        return arn
    }

    /// Stops moto and closes its port (state is kept); connections are refused until `restart()`.
    func stop() throws { _ = try command(["op": "stop"]) }

    /// Starts moto again on the same port.
    func restart() throws { _ = try command(["op": "start"]) }

    /// What the echo server did with requests to `/hold/<name>`: `held` (waiting for `release`), `released`, or
    /// `absent` (none arrived).
    func holdState(_ name: String) throws -> String { try command(["op": "holdState", "name": name]) ?? "absent" }

    /// Lets the requests to `/hold/<name>` be answered.
    func release(_ name: String) throws { _ = try command(["op": "release", "name": name]) }

    deinit {
        // A test's own server ends with it (the shared one lives as long as the test process).
        try? input.close()
        if process.isRunning { process.terminate() }
    }

    private func command(_ fields: [String: String]) throws -> String? {
        lock.lock()
        defer { lock.unlock() }
        var data = try JSONSerialization.data(withJSONObject: fields)
        data.append(0x0A)
        try input.write(contentsOf: data)
        let line = try Self.readLine(from: output, buffer: &buffer, errorLog: errorLog)
        let reply = try JSONDecoder().decode(Reply.self, from: Data(line.utf8))
        guard reply.ok else { throw Failure(description: "moto helper: \(reply.error ?? "failed")") }
        return reply.result
    }

    private static func readLine(from handle: FileHandle, buffer: inout [UInt8], errorLog: URL) throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty {
                let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
                throw Failure(description: "moto helper exited (is moto[server] installed for python3?): \(log.suffix(2000))")
            }
            buffer.append(contentsOf: chunk)
        }
    }
}
