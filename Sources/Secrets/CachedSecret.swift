/// A value fetched from AWS, with when it was fetched (milliseconds of the injected clock).
struct CachedSecret {
    /// The value (already converted, e.g. an RDS secret turned into a URL).
    var value: String
    /// When it was fetched.
    var fetchedAt: Int64
    /// After a transient refresh failure: no new attempt before this time (the cached value is served meanwhile).
    var retryAfter: Int64?
    /// Set by an invalidation: refresh on the next access even within the TTL.
    var refreshRequested = false

    init(value: String, fetchedAt: Int64) {
        self.value = value
        self.fetchedAt = fetchedAt
    }
}
