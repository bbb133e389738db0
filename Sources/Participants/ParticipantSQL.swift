internal import Postgres

/// Every statement of the participant API and the export. `$1` is always the caller's organization (bound by
/// `TenantSession`); row-level security enforces the same scope again.
///
/// Six statements return participants — `list`, `select`, `insert`, `update`, `erase` and `exportPage` — and each
/// selects `ParticipantRow.columns`, in that order (timestamps as ISO 8601 in UTC with milliseconds). Their select
/// lists are written out in each: a statement is a literal (`SQL` takes a `StaticString`, so no statement is ever
/// built from strings), Swift cannot join literals at compile time, and a view or function sharing the list would
/// be a schema change. `ParticipantsTests` checks the six against `ParticipantRow.columns`.
enum ParticipantSQL {
    /// A page, newest first: `$2` the id to continue below (or NULL), `$3` the page size plus one.
    static let list = SQL(
        #"""
        SELECT id, organization_id, meeting_id, meeting_title,
               to_char(meeting_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), meeting_platform,
               email, display_name, response_status, is_organizer, is_optional, contact_id, enrichment_status,
               enrichment_source, auto_match_confidence,
               to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        FROM meeting_participants
        WHERE organization_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC
        LIMIT $3::int
        """#
    )

    /// One participant by id (`$2`).
    static let select = SQL(
        #"""
        SELECT id, organization_id, meeting_id, meeting_title,
               to_char(meeting_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), meeting_platform,
               email, display_name, response_status, is_organizer, is_optional, contact_id, enrichment_status,
               enrichment_source, auto_match_confidence,
               to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        FROM meeting_participants
        WHERE organization_id = $1 AND id = $2::bigint
        """#
    )

    /// Creates a participant; no row when the meeting already has a live participant with this address up to
    /// Unicode case and normalization (migration 13's unique index on the folded address). `ON CONFLICT` names no
    /// target, so it covers every unique index: that one and migration 6's on the address as stored (the id comes
    /// from a sequence and never conflicts).
    static let insert = SQL(
        #"""
        INSERT INTO meeting_participants AS p (organization_id, meeting_id, meeting_title, meeting_date_time,
            meeting_platform, email, display_name, response_status, is_organizer, is_optional)
        VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8, $9::bool, $10::bool)
        ON CONFLICT DO NOTHING
        RETURNING p.id, p.organization_id, p.meeting_id, p.meeting_title,
               to_char(p.meeting_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), p.meeting_platform,
               p.email, p.display_name, p.response_status, p.is_organizer, p.is_optional, p.contact_id,
               p.enrichment_status, p.enrichment_source, p.auto_match_confidence,
               to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(p.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        """#
    )

    /// Rectification of a live (not erased) row `$2`: `$3` says whether to set the display name to `$4`; `$5`
    /// the new email or NULL; `$6` whether to set the response status to `$7`; `$8` the optional flag or NULL.
    static let update = SQL(
        #"""
        UPDATE meeting_participants AS p SET
            display_name = CASE WHEN $3::bool THEN $4::text ELSE p.display_name END,
            email = coalesce($5::text, p.email),
            response_status = CASE WHEN $6::bool THEN $7::text ELSE p.response_status END,
            is_optional = coalesce($8::bool, p.is_optional),
            updated_at = now(),
            last_activity_at = now()
        WHERE p.organization_id = $1 AND p.id = $2::bigint AND p.enrichment_status <> 'deleted'
        RETURNING p.id, p.organization_id, p.meeting_id, p.meeting_title,
               to_char(p.meeting_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), p.meeting_platform,
               p.email, p.display_name, p.response_status, p.is_organizer, p.is_optional, p.contact_id,
               p.enrichment_status, p.enrichment_source, p.auto_match_confidence,
               to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(p.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        """#
    )

    /// GDPR erasure of row `$2`: idempotent (an erased row keeps its `updated_at`).
    static let erase = SQL(
        #"""
        UPDATE meeting_participants AS p SET
            email = '[deleted]',
            display_name = '[deleted]',
            contact_id = NULL,
            enrichment_status = 'deleted',
            updated_at = CASE WHEN p.enrichment_status = 'deleted' THEN p.updated_at ELSE now() END
        WHERE p.organization_id = $1 AND p.id = $2::bigint
        RETURNING p.id, p.organization_id, p.meeting_id, p.meeting_title,
               to_char(p.meeting_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), p.meeting_platform,
               p.email, p.display_name, p.response_status, p.is_organizer, p.is_optional, p.contact_id,
               p.enrichment_status, p.enrichment_source, p.auto_match_confidence,
               to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(p.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        """#
    )

    /// The export's page after id `$2` (0 for the first), in id order, at most `$3` rows (keyset on the primary key;
    /// the index on (organization_id, id) serves it).
    static let exportPage = SQL(
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

    /// The enrichment status of row `$2` (none when it is not the organization's).
    static let status = SQL("SELECT enrichment_status FROM meeting_participants WHERE organization_id = $1 AND id = $2::bigint")

    /// The enrichment history of participant `$2`, oldest first.
    static let history = SQL(
        #"""
        SELECT id, source, cost_cents, outcome,
               to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        FROM participant_enrichment_history
        WHERE organization_id = $1 AND participant_id = $2::bigint
        ORDER BY id
        """#
    )

    /// A statement that does nothing (carries the pending rate-limit preamble after a refused write).
    static let nothing = SQL("SELECT $1::text IS NULL")
}
