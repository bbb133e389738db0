// The organization-wide participant export (issue 7): `GET /api/participants/export` behind a Function URL in
// RESPONSE_STREAM mode, streamed as NDJSON — one participant per line, then a summary line — read in keyset pages
// each in its own tenant session, so the export is never held in memory and is not bound by the 6 MB limit of a
// buffered response. Same bearer JWT, CORS, rate limit and audit as the participant API (`StreamingAPIHandler`).
import Middleware
import Platform

StreamingAPIHandler.main(name: "participant_export") { _, _ in
    let pageSize = ParticipantExport.pageSize(Platform.environment("EXPORT_PAGE_SIZE"))
    return [
        StreamingAPIRoute("GET", "/api/participants/export", .user) { call in try ParticipantExport.start(call, pageSize: pageSize) }
    ]
}
