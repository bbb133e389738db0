internal import Bytes
internal import CCurl

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An error from a libcurl transfer. Its description names the failure class only, never the URL or any data.
public struct CurlError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// The handle could not be created or configured.
        case setup
        /// The transfer failed (connection, timeout, protocol); `curlCode` holds libcurl's code.
        case transfer
        /// The response body exceeded the configured limit.
        case responseTooLarge
        /// A stoppable transfer on a ``CurlMulti`` was stopped before any response arrived.
        case interrupted
    }

    /// What went wrong.
    public let code: Code
    /// libcurl's own result code, for diagnostics.
    public let curlCode: Int
    /// libcurl's error text (from `CURLOPT_ERRORBUFFER`-style `curl_easy_strerror`); it holds no request data.
    public let detail: String

    /// The failure class, libcurl's code and its text.
    public var description: String { "HTTP transfer failed (\(code), curl code \(curlCode): \(detail))" }
}

/// One HTTP header.
public struct HTTPHeader: Sendable, Equatable {
    /// Field name, as sent or received.
    public var name: String
    /// Field value.
    public var value: String
    /// A header `name: value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The response to one transfer.
public struct HTTPResponse: Sendable {
    /// HTTP status code.
    public var status: Int
    /// Response body.
    public var body: [UInt8]
    /// The final response's header fields as received, `Name: value` lines (after any 1xx response's): fields are
    /// read from it on demand, so a caller that wants two of them makes two strings, not one per field.
    private let headerBlock: [UInt8]

    /// A response given field by field (for tests and stand-ins).
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        var block: [UInt8] = []
        for field in headers {
            block += field.name.utf8
            block += ": ".utf8
            block += field.value.utf8
            block += "\r\n".utf8
        }
        self.init(status: status, headerBlock: block, body: body)
    }

    init(status: Int, headerBlock: [UInt8], body: [UInt8]) {
        self.status = status
        self.headerBlock = headerBlock
        self.body = body
    }

    /// Response headers of the final response, in order received.
    public var headers: [HTTPHeader] {
        var result: [HTTPHeader] = []
        forEachField { raw, name, value in
            result.append(HTTPHeader(String(decoding: raw[name], as: UTF8.self), String(decoding: raw[value], as: UTF8.self)))
        }
        return result
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers(named: FieldNames([name]))[0]
    }

    /// Header names to look up together (``headers(named:)``), prepared once: their lower-cased bytes, end to end,
    /// and beside each byte the bit that ASCII case sets (0x20 for a letter, 0 otherwise), so that a name is
    /// compared eight bytes at a time: a byte matches when it equals the wanted one once that bit is set.
    public struct FieldNames: Sendable {
        let bytes: [UInt8]
        let caseBits: [UInt8]
        /// Where each name's bytes start in `bytes`, and its length.
        let spans: [(start: Int, count: Int)]
        /// `names`, matched without ASCII case.
        public init(_ names: [String]) {
            var bytes: [UInt8] = []
            var spans: [(start: Int, count: Int)] = []
            for name in names {
                spans.append((bytes.count, name.utf8.count))
                bytes += name.utf8.map(\.asciiLowercased)
            }
            caseBits = bytes.map { (0x61...0x7A).contains($0) ? 0x20 : 0 }
            self.bytes = bytes
            self.spans = spans
        }

        /// Whether `name` (of a field in `raw`) is name `span` without ASCII case.
        @inline(__always)
        func matches(_ raw: UnsafeRawBufferPointer, _ name: Range<Int>, _ span: (start: Int, count: Int),
                     _ wanted: UnsafeRawBufferPointer, _ bits: UnsafeRawBufferPointer) -> Bool {
            let count = span.count
            func word(_ offset: Int) -> Bool {
                let got = raw.loadUnaligned(fromByteOffset: name.lowerBound + offset, as: UInt64.self)
                let bit = bits.loadUnaligned(fromByteOffset: span.start + offset, as: UInt64.self)
                return got | bit == wanted.loadUnaligned(fromByteOffset: span.start + offset, as: UInt64.self)
            }
            guard count >= 8 else {
                for k in 0..<count where raw[name.lowerBound + k] | bits[span.start + k] != wanted[span.start + k] {
                    return false
                }
                return true
            }
            // The last eight bytes first: names sharing a prefix (`Lambda-Runtime-…`) tell apart at their ends.
            guard word(count - 8) else { return false }
            var offset = 0
            while offset < count - 8 {
                guard word(offset) else { return false }
                offset += 8
            }
            return true
        }
    }

    /// The first value of each of `names` (compared case-insensitively), in one pass over the fields.
    public func headers(named names: FieldNames) -> [String?] {
        var found = [String?](repeating: nil, count: names.spans.count)
        names.bytes.withUnsafeBytes { wanted in
            names.caseBits.withUnsafeBytes { bits in
                forEachField { raw, name, value in
                    for i in names.spans.indices where names.spans[i].count == name.count && found[i] == nil {
                        if names.matches(UnsafeRawBufferPointer(raw), name, names.spans[i], wanted, bits) {
                            found[i] = String(decoding: UnsafeBufferPointer(rebasing: raw[value]), as: UTF8.self)
                        }
                    }
                }
            }
        }
        return found
    }

    /// Calls `body` with the header block and each field's name and value ranges in it (the value without its
    /// leading blanks and line end). Lines without a colon are not fields and are skipped.
    @inline(__always)
    private func forEachField(_ body: (UnsafeBufferPointer<UInt8>, Range<Int>, Range<Int>) -> Void) {
        headerBlock.withUnsafeBufferPointer { raw in
            var lineStart = 0
            while lineStart < raw.count {
                let (newline, colon) = Self.lineEnd(in: raw, from: lineStart)
                var end = newline
                if end > lineStart, raw[end - 1] == 0x0D { end -= 1 }
                if colon < end {
                    var v = colon + 1
                    while v < end, raw[v] == 0x20 || raw[v] == 0x09 { v += 1 }
                    body(raw, lineStart..<colon, v..<end)
                }
                lineStart = newline + 1
            }
        }
    }

    /// The index of the line feed ending the line that starts at `start` (or the end of `bytes`) and of the line's
    /// first colon (or that same end when it has none), found with `memchr`.
    static func lineEnd(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (newline: Int, colon: Int) {
        guard let base = bytes.baseAddress, start < bytes.count else { return (bytes.count, bytes.count) }
        let origin = UnsafeRawPointer(base)
        var newline = bytes.count
        if let found = memchr(origin + start, 0x0A, bytes.count - start) { newline = UnsafeRawPointer(found) - origin }
        var colon = newline
        if let found = memchr(origin + start, 0x3A, newline - start) { colon = UnsafeRawPointer(found) - origin }
        return (newline, colon)
    }
}

/// One reusable libcurl easy handle. Reusing it keeps the connection alive across requests.
///
/// Not thread-safe: one handle serves one thread (the Runtime API loop is single-threaded).
public final class CurlEasy {
    /// The libcurl handle. A streamed upload leaves it unusable for another one (see `warden_curl_stream_reset`),
    /// so it is then replaced by a fresh handle; both draw on `share`'s connection cache, which keeps the
    /// connection alive across the replacement.
    private var easy: UnsafeMutableRawPointer
    private let share: UnsafeMutableRawPointer
    /// Runs the stoppable transfers, when set (see ``CurlMulti``).
    private let multi: CurlMulti?
    private let bodyBuffer: UnsafeMutablePointer<warden_buf>
    private let headerBuffer: UnsafeMutablePointer<warden_buf>
    /// `true` while signing options may still be set on the handle; plain requests clear them first.
    private var signingOptionsSet = false
    /// The `CURLOPT_CAINFO` value currently set (`nil`: libcurl's built-in default).
    private var caInfo: String?
    /// The parsed URL the handle points at (`CURLOPT_CURLU`), kept alive while it does.
    private var parsedURL: CurlURL?
    /// The header lists of the last few unsigned requests and the fields each was made of, most recent last, kept
    /// for the next requests with the same fields (the Runtime API loop alternates between the same two: none for
    /// `next`, `Content-Type` for an answer) and freed when pushed out.
    private var unsignedHeaders: [(fields: [HTTPHeader], list: UnsafeMutablePointer<curl_slist>?)] = []
    private static let unsignedListsKept = 4

    /// Creates a handle. Throws when libcurl cannot allocate one. With `multi`, a transfer made with `stoppable: true`
    /// runs on it, and ends when the multi's stop descriptor becomes readable before its response begins.
    public init(multi: CurlMulti? = nil) throws(CurlError) {
        self.multi = multi
        _ = CurlEasy.globalInit
        guard let share = warden_curl_share_connections() else {
            throw CurlError(code: .setup, curlCode: -1, detail: "curl_share_init")
        }
        let bodyBuffer = UnsafeMutablePointer<warden_buf>.allocate(capacity: 1)
        bodyBuffer.initialize(to: warden_buf(data: nil, len: 0, cap: 0, limit: 0, overflow: 0))
        let headerBuffer = UnsafeMutablePointer<warden_buf>.allocate(capacity: 1)
        headerBuffer.initialize(to: warden_buf(data: nil, len: 0, cap: 0, limit: 64 * 1024, overflow: 0))
        let easy: UnsafeMutableRawPointer
        do {
            easy = try Self.makeHandle(share: share, body: bodyBuffer, headers: headerBuffer)
        } catch let failure {
            curl_share_cleanup(share)
            bodyBuffer.deallocate()
            headerBuffer.deallocate()
            throw failure
        }
        self.easy = easy
        self.share = share
        self.bodyBuffer = bodyBuffer
        self.headerBuffer = headerBuffer
    }

    /// A configured easy handle on `share`'s connection cache, capturing into `body` and `headers`.
    private static func makeHandle(
        share: UnsafeMutableRawPointer, body: UnsafeMutablePointer<warden_buf>, headers: UnsafeMutablePointer<warden_buf>
    ) throws(CurlError) -> UnsafeMutableRawPointer {
        guard let easy = curl_easy_init() else { throw CurlError(code: .setup, curlCode: -1, detail: "curl_easy_init") }
        for rc in [
            warden_curl_setopt_pointer(easy, CURLOPT_SHARE, share),
            warden_curl_capture(easy, body, headers),
            warden_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1),
            warden_curl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1),
            warden_curl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1),
        ] where rc != CURLE_OK {
            curl_easy_cleanup(easy)
            throw CurlError(code: .setup, curlCode: Int(rc.rawValue), detail: String(cString: curl_easy_strerror(rc)))
        }
        return easy
    }

    /// Swaps the handle for a fresh one (after a streamed upload). The connection stays in the shared cache.
    private func renewHandle() throws(CurlError) {
        let fresh = try Self.makeHandle(share: share, body: bodyBuffer, headers: headerBuffer)
        curl_easy_cleanup(easy)
        easy = fresh
        parsedURL = nil
        caInfo = nil
        signingOptionsSet = false
    }

    deinit {
        curl_easy_cleanup(easy)
        for kept in unsignedHeaders { curl_slist_free_all(kept.list) }
        curl_share_cleanup(share)
        warden_buf_free(bodyBuffer)
        warden_buf_free(headerBuffer)
        bodyBuffer.deallocate()
        headerBuffer.deallocate()
    }

    fileprivate static let globalInit: Void = { _ = warden_curl_global_init() }()

    /// Performs one request and returns the whole response.
    ///
    /// The handle keeps no per-request state between calls: signing options and credentials are cleared after every
    /// signed request, so a later request without `signing` goes out unsigned.
    ///
    /// - Parameters:
    ///   - method: `GET` or `POST` (any other token is sent as a custom request method).
    ///   - url: absolute URL.
    ///   - headers: request headers; `Expect:` is suppressed on unsigned requests so bodies go out in one round trip.
    ///     With `signing`, every header given here is signed, so do not pass `User-Agent` or `Expect` (AWS and its
    ///     emulators leave those out of the canonical request); bodies under 1 MiB never wait for `100-continue`.
    ///   - body: request body for methods that carry one.
    ///   - timeoutMilliseconds: whole-transfer limit; 0 waits forever.
    ///   - maxResponseBytes: larger bodies fail with `.responseTooLarge`; 0 means unlimited.
    ///   - signing: when set, libcurl signs the request with AWS Signature Version 4 (`CURLOPT_AWS_SIGV4`) and sends
    ///     the session token, if any, as `X-Amz-Security-Token`.
    ///   - caBundlePath: PEM file of trusted roots for `https` URLs; `nil` uses `CABundle.path`. Plain `http` URLs
    ///     never touch it.
    public func perform(
        method: String,
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8]? = nil,
        timeoutMilliseconds: Int = 0,
        maxResponseBytes: Int = 0,
        signing: AWSSigV4? = nil,
        caBundlePath: String? = nil,
        stoppable: Bool = false
    ) throws(CurlError) -> HTTPResponse {
        try setURL(url)
        if url.utf8.starts(with: "https:".utf8) || url.utf8.starts(with: "HTTPS:".utf8) {
            try setCAInfo(caBundlePath ?? CABundle.path)
        }

        if let signing {
            // Set first so a failure below still leads to the options being cleared.
            signingOptionsSet = true
            try check(warden_curl_setopt_string(easy, CURLOPT_AWS_SIGV4, signing.provider))
            try check(warden_curl_setopt_string(easy, CURLOPT_USERNAME, signing.accessKeyID))
            try check(warden_curl_setopt_string(easy, CURLOPT_PASSWORD, signing.secretAccessKey))
        } else if signingOptionsSet {
            try clearSigning()
        }
        defer { if signing != nil { try? clearSigning() } }
        // A signed request's list holds its session token: made for it alone and freed after it.
        var signedList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(signedList) }
        if let signing {
            if let token = signing.sessionToken, !token.isEmpty {
                signedList = curl_slist_append(signedList, "X-Amz-Security-Token: \(token)")
            }
            for header in headers { signedList = curl_slist_append(signedList, "\(header.name): \(header.value)") }
            try check(warden_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, signedList))
        } else {
            try check(warden_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, unsignedList(headers)))
        }

        return try transfer(
            method: method, body: body, timeoutMilliseconds: timeoutMilliseconds, maxResponseBytes: maxResponseBytes,
            stoppable: stoppable
        )
    }

    /// Performs one plain `http` request to `url`, a URL libcurl has parsed already (see ``CurlURL``): as
    /// ``perform(method:url:headers:body:timeoutMilliseconds:maxResponseBytes:signing:caBundlePath:stoppable:)``
    /// without signing, and without libcurl parsing and re-serializing a URL string on every transfer.
    public func perform(
        method: String,
        url: CurlURL,
        headers: [HTTPHeader] = [],
        body: [UInt8]? = nil,
        timeoutMilliseconds: Int = 0,
        maxResponseBytes: Int = 0,
        stoppable: Bool = false
    ) throws(CurlError) -> HTTPResponse {
        if parsedURL !== url {
            try check(warden_curl_setopt_pointer(easy, CURLOPT_CURLU, UnsafeRawPointer(url.handle)))
            parsedURL = url
        }
        if signingOptionsSet { try clearSigning() }
        try check(warden_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, unsignedList(headers)))
        return try transfer(
            method: method, body: body, timeoutMilliseconds: timeoutMilliseconds, maxResponseBytes: maxResponseBytes,
            stoppable: stoppable
        )
    }

    /// Points the handle at `url`, a string libcurl parses (and no longer at a parsed ``CurlURL``, which would
    /// take precedence).
    private func setURL(_ url: String) throws(CurlError) {
        if parsedURL != nil {
            try check(warden_curl_setopt_pointer(easy, CURLOPT_CURLU, nil))
            parsedURL = nil
        }
        try check(warden_curl_setopt_string(easy, CURLOPT_URL, url))
    }

    /// The transfer of a request whose URL, headers and signing are set: the method, the body, the limits.
    private func transfer(
        method: String, body: [UInt8]?, timeoutMilliseconds: Int, maxResponseBytes: Int, stoppable: Bool
    ) throws(CurlError) -> HTTPResponse {
        warden_buf_clear(bodyBuffer)
        warden_buf_clear(headerBuffer)
        bodyBuffer.pointee.limit = maxResponseBytes
        try check(warden_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeoutMilliseconds))
        let code: CURLcode
        if method == "GET" {
            try check(warden_curl_setopt_long(easy, CURLOPT_HTTPGET, 1))
            try check(warden_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, nil))
            code = run(stoppable: stoppable)
        } else {
            let payload = body ?? []
            try check(warden_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method == "POST" ? nil : method))
            code = payload.withUnsafeBufferPointer { bp -> CURLcode in
                var rc = warden_curl_set_body(easy, bp.baseAddress, bp.count)
                if rc == CURLE_OK { rc = run(stoppable: stoppable) }
                // The body pointer must not outlive the buffer it points at.
                _ = warden_curl_set_body(easy, nil, 0)
                return rc
            }
        }
        if bodyBuffer.pointee.overflow != 0 {
            throw CurlError(code: .responseTooLarge, curlCode: Int(code.rawValue), detail: "response body over limit")
        }
        if code == CURLE_ABORTED_BY_CALLBACK, stoppable, multi != nil {
            throw CurlError(code: .interrupted, curlCode: Int(code.rawValue), detail: "interrupted before the response")
        }
        guard code == CURLE_OK else {
            throw CurlError(code: .transfer, curlCode: Int(code.rawValue), detail: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        _ = warden_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headerBlock: finalHeaderBlock(), body: bytes(of: bodyBuffer))
    }

    /// The list for an unsigned request with `headers`: `Expect:` (suppressed) and the fields, reused from one of
    /// the last unsigned requests with the same fields.
    private func unsignedList(_ headers: [HTTPHeader]) -> UnsafeMutablePointer<curl_slist>? {
        for kept in unsignedHeaders.reversed() where kept.fields == headers { return kept.list }
        var list = curl_slist_append(nil, "Expect:")
        for header in headers { list = curl_slist_append(list, "\(header.name): \(header.value)") }
        if unsignedHeaders.count == Self.unsignedListsKept { curl_slist_free_all(unsignedHeaders.removeFirst().list) }
        unsignedHeaders.append((headers, list))
        return list
    }

    /// The transfer proper: on the multi handle when it is stoppable, else `curl_easy_perform`.
    private func run(stoppable: Bool) -> CURLcode {
        guard stoppable, let multi else { return curl_easy_perform(easy) }
        return warden_multi_perform(multi.raw, easy, UnsafePointer(headerBuffer))
    }

    /// Connects to `url`'s host and writes `request` (a whole HTTP request, written by the caller) without ever
    /// reading the answer: the connection stays open, the request pending, as long as this handle lives. It serves
    /// nothing else afterwards. For an extension parked on its `event/next` without a thread waiting for it.
    public func sendAndAbandon(url: String, request: [UInt8], timeoutMilliseconds: Int) throws(CurlError) {
        let rc = request.withUnsafeBufferPointer { warden_curl_connect_and_send(easy, url, $0.baseAddress, $0.count, timeoutMilliseconds) }
        guard rc == CURLE_OK else {
            throw CurlError(code: .transfer, curlCode: Int(rc.rawValue), detail: String(cString: curl_easy_strerror(rc)))
        }
    }

    /// Performs one `POST` whose body is pulled from `next` and sent as it comes with chunked transfer encoding, on
    /// the same handle (and keep-alive connection) as ``perform(method:url:headers:body:timeoutMilliseconds:maxResponseBytes:signing:caBundlePath:)``.
    ///
    /// libcurl calls `next` whenever it can send more: each ``StreamedUploadPart/data(_:)`` goes out as soon as
    /// libcurl has written it (empty data is skipped); ``StreamedUploadPart/end(trailers:)`` ends the body and sends
    /// `trailers` as HTTP trailer fields (declare them in a `Trailer:` request header). `Transfer-Encoding: chunked`
    /// is always sent. The handle serves ordinary requests again afterwards.
    ///
    /// - Parameters:
    ///   - url: absolute `http` URL (no signing, no custom CA).
    ///   - headers: request headers besides `Transfer-Encoding` and `Expect` (which is suppressed).
    ///   - timeoutMilliseconds: whole-transfer limit; 0 waits forever.
    ///   - maxResponseBytes: larger response bodies fail with `.responseTooLarge`; 0 means unlimited.
    ///   - next: the body, pulled part by part on this thread while the transfer runs.
    public func performStreamingUpload(
        url: String,
        headers: [HTTPHeader] = [],
        timeoutMilliseconds: Int = 0,
        maxResponseBytes: Int = 0,
        next: () -> StreamedUploadPart
    ) throws(CurlError) -> HTTPResponse {
        warden_buf_clear(bodyBuffer)
        warden_buf_clear(headerBuffer)
        bodyBuffer.pointee.limit = maxResponseBytes
        if signingOptionsSet { try clearSigning() }
        try setURL(url)
        try check(warden_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeoutMilliseconds))
        try check(warden_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, nil))

        var list: UnsafeMutablePointer<curl_slist>?
        list = curl_slist_append(list, "Expect:")
        list = curl_slist_append(list, "Transfer-Encoding: chunked")
        for header in headers { list = curl_slist_append(list, "\(header.name): \(header.value)") }
        defer { curl_slist_free_all(list) }
        try check(warden_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, list))

        let code = withoutActuallyEscaping(next) { pull -> CURLcode in
            let upload = StreamedUpload(next: pull)
            return withExtendedLifetime(upload) { () -> CURLcode in
                let context = Unmanaged.passUnretained(upload).toOpaque()
                var rc = warden_curl_stream_upload(easy, streamedUploadRead, streamedUploadTrailers, context)
                if rc == CURLE_OK { rc = curl_easy_perform(easy) }
                // The context must not outlive this call: take the callbacks off the handle whatever happened.
                let reset = warden_curl_stream_reset(easy)
                return rc == CURLE_OK ? reset : rc
            }
        }
        // Read what the transfer left before the handle goes away.
        var status = 0
        _ = warden_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        try renewHandle()
        if bodyBuffer.pointee.overflow != 0 {
            throw CurlError(code: .responseTooLarge, curlCode: Int(code.rawValue), detail: "response body over limit")
        }
        guard code == CURLE_OK else {
            throw CurlError(code: .transfer, curlCode: Int(code.rawValue), detail: String(cString: curl_easy_strerror(code)))
        }
        return HTTPResponse(status: status, headerBlock: finalHeaderBlock(), body: bytes(of: bodyBuffer))
    }

    /// Removes the signing provider and the credentials from the handle and restores Basic (inactive without a
    /// user name), so the next request is not signed and the secret key does not stay in libcurl's memory.
    private func clearSigning() throws(CurlError) {
        try check(warden_curl_clear_auth(easy))
        signingOptionsSet = false
    }

    /// Sets `CURLOPT_CAINFO` when it differs from what the handle already has (`nil` restores libcurl's default,
    /// which in our build trusts nothing).
    private func setCAInfo(_ path: String?) throws(CurlError) {
        guard path != caInfo else { return }
        try check(warden_curl_setopt_string(easy, CURLOPT_CAINFO, path))
        caInfo = path
    }

    private func bytes(of buffer: UnsafeMutablePointer<warden_buf>) -> [UInt8] {
        guard let data = buffer.pointee.data, buffer.pointee.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: buffer.pointee.len))
    }

    /// The captured header lines of the final response.
    private func finalHeaderBlock() -> [UInt8] {
        guard let data = headerBuffer.pointee.data, headerBuffer.pointee.len > 0 else { return [] }
        return Self.finalHeaderBlock(UnsafeBufferPointer(start: data, count: headerBuffer.pointee.len))
    }

    /// What follows the last status line of `raw` (the header lines libcurl passed on, any 1xx response's first),
    /// without the status line itself.
    static func finalHeaderBlock(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard let base = raw.baseAddress else { return [] }
        let status = warden_last_status_line(base, raw.count)
        guard status < raw.count else { return Array(raw) }
        let start = HTTPResponse.lineEnd(in: raw, from: status).newline + 1
        return start < raw.count ? Array(raw[start...]) : []
    }

    private func check(_ code: CURLcode) throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(code: .setup, curlCode: Int(code.rawValue), detail: String(cString: curl_easy_strerror(code)))
        }
    }
}

/// A URL libcurl parses once (its URL API, `CURLU`) and reuses across transfers: a transfer to a string URL has
/// libcurl parse it and write it out again (~15 k instructions), one to a parsed URL only copies its parts. The
/// Runtime API client's `next` URL never changes, and its answers differ only in their path.
///
/// Not thread-safe: a URL serves the thread of the handle it is used on.
public final class CurlURL {
    fileprivate let handle: OpaquePointer
    /// The last path given to libcurl, NUL-terminated.
    private var pathBuffer: [UInt8] = []

    /// Parses `url` (an absolute `http` URL). Throws when libcurl refuses it.
    public init(_ url: String) throws(CurlError) {
        _ = CurlEasy.globalInit
        guard let handle = curl_url() else { throw CurlError(code: .setup, curlCode: -1, detail: "curl_url") }
        let rc = curl_url_set(handle, CURLUPART_URL, url, 0)
        guard rc == CURLUE_OK else {
            curl_url_cleanup(handle)
            throw CurlError(code: .setup, curlCode: Int(rc.rawValue), detail: String(cString: curl_url_strerror(rc)))
        }
        self.handle = handle
    }

    /// Replaces the path (and keeps the scheme, host and port). `path` must be a valid path already: made of
    /// unreserved characters and `/` (see ``isPlainPath(_:)``), as libcurl takes it as it is.
    public func setPath(_ path: String) throws(CurlError) {
        try setPath(utf8: Array(path.utf8))
    }

    /// As ``setPath(_:)``, with the path as UTF-8 bytes (copied into a buffer kept for the next path).
    public func setPath(utf8 path: [UInt8]) throws(CurlError) {
        pathBuffer.removeAll(keepingCapacity: true)
        pathBuffer.append(contentsOf: path)
        pathBuffer.append(0)
        let rc = pathBuffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { curl_url_set(handle, CURLUPART_PATH, $0.baseAddress, 0) }
        }
        guard rc == CURLUE_OK else {
            throw CurlError(code: .setup, curlCode: Int(rc.rawValue), detail: String(cString: curl_url_strerror(rc)))
        }
    }

    /// Whether `path` starts with `/` and holds only RFC 3986 unreserved characters and `/`: a path that needs no
    /// encoding, which ``setPath(_:)`` can take as it is.
    public static func isPlainPath(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { $0.first == UInt8(ascii: "/") && $0.allSatisfy(isPlainPathByte) }
    }

    /// Whether every byte of `text` may stand in a plain path (see ``isPlainPath(_:)``).
    public static func isPlainPathPart(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.allSatisfy(isPlainPathByte) }
    }

    /// An RFC 3986 unreserved character or `/`.
    @inline(__always)
    private static func isPlainPathByte(_ b: UInt8) -> Bool {
        (b | 0x20) &- 0x61 < 26 || b &- 0x30 < 10 || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E || b == 0x2F
    }

    deinit { curl_url_cleanup(handle) }
}

/// A libcurl multi handle for the stoppable transfers of one thread's ``CurlEasy`` handles, adding what
/// `curl_easy_perform` cannot do: a **stop descriptor**. A `stoppable` transfer gives up
/// (``CurlError/Code/interrupted``) when it becomes readable before the response has begun; a response that has
/// begun is always read to its end. SIGTERM makes the runtime's descriptor readable (`TerminationSignal` in
/// `Platform`), so a worker waiting on `/next` stops at once, without a thread of its own waiting for signals.
///
/// Not thread-safe: one multi serves one thread.
public final class CurlMulti {
    fileprivate let raw: OpaquePointer

    /// A new multi handle; `stopWhenReadable` is the stop descriptor, if any. Throws when libcurl cannot make one.
    public init(stopWhenReadable fd: Int32? = nil) throws(CurlError) {
        _ = CurlEasy.globalInit
        guard let raw = warden_multi_new(fd ?? -1) else { throw CurlError(code: .setup, curlCode: -1, detail: "curl_multi_init") }
        self.raw = raw
    }

    deinit { warden_multi_free(raw) }
}

/// One step of a streamed request body (see ``CurlEasy/performStreamingUpload(url:headers:timeoutMilliseconds:maxResponseBytes:next:)``).
public enum StreamedUploadPart: Sendable {
    /// More body bytes (an empty array is skipped).
    case data([UInt8])
    /// The end of the body, with the trailer fields to send after it.
    case end(trailers: [HTTPHeader])
}

/// The state of one streamed upload, reached from libcurl's callbacks through their opaque context pointer.
private final class StreamedUpload {
    let next: () -> StreamedUploadPart
    /// Bytes pulled from `next` that libcurl has not taken yet, from `offset` on.
    var pending: [UInt8] = []
    var offset = 0
    var ended = false
    var trailers: [HTTPHeader] = []

    init(next: @escaping () -> StreamedUploadPart) { self.next = next }

    /// Copies up to `capacity` bytes into `buffer`; 0 once the body has ended.
    func read(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        while offset >= pending.count {
            if ended { return 0 }
            switch next() {
            case .data(let bytes):
                pending = bytes
                offset = 0
            case .end(let fields):
                pending = []
                offset = 0
                trailers = fields
                ended = true
                return 0
            }
        }
        let count = min(capacity, pending.count - offset)
        pending.withUnsafeBytes { source in
            guard let base = source.baseAddress else { return }
            buffer.copyMemory(from: base + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// `CURLOPT_READFUNCTION` of streamed uploads.
private let streamedUploadRead: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, context in
    guard let buffer, let context else { return Int(CURL_READFUNC_ABORT) }
    let upload = Unmanaged<StreamedUpload>.fromOpaque(context).takeUnretainedValue()
    return upload.read(into: UnsafeMutableRawPointer(buffer), capacity: size * count)
}

/// `CURLOPT_TRAILERFUNCTION` of streamed uploads: appends the trailers `next` ended the body with.
private let streamedUploadTrailers: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<curl_slist>?>?, UnsafeMutableRawPointer?) -> Int32 = {
    list, context in
    guard let list, let context else { return Int32(CURL_TRAILERFUNC_ABORT) }
    let upload = Unmanaged<StreamedUpload>.fromOpaque(context).takeUnretainedValue()
    for field in upload.trailers {
        guard let appended = curl_slist_append(list.pointee, "\(field.name): \(field.value)") else {
            return Int32(CURL_TRAILERFUNC_ABORT)
        }
        list.pointee = appended
    }
    return Int32(CURL_TRAILERFUNC_OK)
}

// MARK: - Process facilities for `CABundle` (kept here: this file is the module's only C boundary)

/// The value of environment variable `name`, or `nil` when it is unset.
func curlProcessEnvironment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

/// Whether `path` names a file this process can read.
func curlFileIsReadable(_ path: String) -> Bool {
    access(path, R_OK) == 0
}
