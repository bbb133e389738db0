internal import CResolver
internal import Platform

#if canImport(Glibc)
internal import Glibc
#endif

/// What `ConnectionSettings.prepared()` asks of the machine it runs on: host names turned into addresses (with
/// c-ares, reading `/etc/hosts` and `/etc/resolv.conf` as curl does — never glibc NSS, which a fully static binary
/// cannot load), environment variables, and whether a file exists. `system` is the real machine; tests substitute
/// their own closures.
///
/// With `LibPQ.swift`, the only file of this module that calls C.
struct Resolver: Sendable {
    /// Numeric addresses of a host name, best first (at most `maximumAddresses`), looked up within a time limit in
    /// milliseconds. Throws `.connectionFailed` when the name cannot be resolved.
    var addresses: @Sendable (_ name: String, _ timeoutMilliseconds: Int) throws(PostgresError) -> [String]
    /// The value of an environment variable, `nil` when unset.
    var environment: @Sendable (_ name: String) -> String?
    /// Whether a readable file exists at a path.
    var fileExists: @Sendable (_ path: String) -> Bool

    /// How many addresses of one name are kept: libpq tries them in order.
    static let maximumAddresses = 4

    /// The real machine.
    static let system = Resolver(
        addresses: { name, timeout throws(PostgresError) in try resolve(name, timeoutMilliseconds: timeout) },
        environment: { Platform.environment($0) },
        fileExists: { path in access(path, R_OK) == 0 }
    )

    /// `true` for a numeric IPv4 or IPv6 address (with or without an IPv6 zone), which needs no lookup.
    static func isNumericAddress(_ host: String) -> Bool {
        host.utf8.contains(UInt8(ascii: ":")) || warden_is_numeric_address(host) != 0
    }

    private static func resolve(_ name: String, timeoutMilliseconds: Int) throws(PostgresError) -> [String] {
        var buffer = [CChar](repeating: 0, count: Int(WARDEN_RESOLVE_ADDRESS_SPACE) * maximumAddresses + 1)
        let status = buffer.withUnsafeMutableBufferPointer { out in
            warden_resolve(name, Int32(clamping: timeoutMilliseconds), Int32(maximumAddresses), out.baseAddress, out.count)
        }
        guard status == 0 else {
            let reason = String(cString: warden_resolve_strerror(status))
            throw PostgresError(.connectionFailed, detail: "could not resolve database host \(name): \(reason)")
        }
        let list = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return list.split(separator: ",").map(String.init)
    }
}
