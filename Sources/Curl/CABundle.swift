/// The PEM bundle of trusted certificate authorities for HTTPS.
///
/// Our static libcurl is built without a compiled-in bundle, so every HTTPS transfer names one. The same file serves
/// the Postgres layer (`sslrootcert`) for `verify-full` connections.
public enum CABundle {
    /// Environment variables that override the search, in order of precedence.
    public static let overrideVariables = ["WARDEN_CA_BUNDLE", "SSL_CERT_FILE"]

    /// Well-known locations, in search order: Amazon Linux 2023 (`provided.al2023`), then Debian and Ubuntu.
    public static let candidates = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt"]

    /// The bundle of this process, located once on first use: a non-empty override variable as given, else the
    /// first readable candidate, else `nil`.
    public static let path: String? = locate(environment: curlProcessEnvironment, isReadable: curlFileIsReadable)

    /// The search behind `path`, with the environment and the file check injected.
    public static func locate(environment: (String) -> String?, isReadable: (String) -> Bool) -> String? {
        for name in overrideVariables {
            if let value = environment(name), !value.isEmpty { return value }
        }
        return candidates.first(where: isReadable)
    }
}
