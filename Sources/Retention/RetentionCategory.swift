/// What the sweep removes, in the order it runs: evidence before companies, because a company is deleted only once
/// none of its evidence is left (see migration 10).
enum RetentionCategory: String, CaseIterable {
    /// `intent_queries` past `expires_at` (90 days): deleted.
    case queries
    /// `intent_evidence` observed more than 1 year ago: deleted.
    case evidence
    /// `intent_companies` without activity for 2 years: deleted.
    case companies
    /// `meeting_participants` inactive for more than 90 days: anonymized as by the GDPR erase.
    case participants
    /// `idempotency_keys` past `expires_at` (24 h after the answer, or a crashed call's deadline): deleted
    /// (migration 11).
    case idempotency
}
