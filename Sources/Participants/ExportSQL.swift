internal import Postgres

/// The export's statement. `$1` is the caller's organization (bound by `TenantSession`; row-level security
/// enforces the same scope). The columns are those `ParticipantRow` (module Participants) reads, in its order,
/// as the participant API selects them (functions/participants/ParticipantSQL.swift).
enum ExportSQL {
    /// The page after id `$2` (0 for the first), in id order, at most `$3` rows (keyset on the primary key; the
    /// index on (organization_id, id) serves it).
    static let page = SQL(
        #"""
        SELECT id, organization_id, meeting_id, meeting_title,
               to_char(meeting_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), meeting_platform,
               email, display_name, response_status, is_organizer, is_optional, contact_id, enrichment_status,
               enrichment_source, auto_match_confidence,
               to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        FROM meeting_participants
        WHERE organization_id = $1 AND id > $2::bigint
        ORDER BY id
        LIMIT $3::int
        """#
    )
}
