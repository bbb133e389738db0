// The organization-wide participant export (issue 7): `GET /api/participants/export` behind a Function URL in
// RESPONSE_STREAM mode, streamed as NDJSON — one participant per line, then a final line — read in keyset pages
// each in its own tenant session, so the export is never held in memory and is not bound by the 6 MB limit of a
// buffered response. A response stops before Lambda's 20 MiB streaming limit and its deadline, at a row boundary,
// with a cursor that continues the export (`?cursor=`). Same bearer JWT, CORS, rate limit and audit as the
// participant API (`APIHandler` in `.streamed` mode).
import HTTPAPI
import Middleware
import Participants

APIHandler.main(name: "participant_export", mode: .streamed) { _, _ in
    let settings = try ExportSettings.fromEnvironment()
    return [
        APIRoute("GET", "/api/participants/export", .user) { call in
            try ParticipantExport.start(call, settings: settings)
        }
    ]
}
