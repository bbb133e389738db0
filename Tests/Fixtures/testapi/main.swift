// A test-only HTTP API (never packaged or deployed) exercising the shared API chain: JWT users scoped to their
// organization, API keys with roles per route.
import HTTPAPI
import Middleware
import Postgres
import WardenJSON

APIHandler.main(name: "testapi") { _, _ in [
    APIRoute("GET", "/api/whoami", .user) { call in
        guard case .user(let user) = call.principal else { throw EnvelopeError.toolFailure }
        return RouteResponse(data: ["subject": .string(user.subject), "organization": .string(user.organization.rawValue)])
    },
    APIRoute("GET", "/api/items/{id}", .user) { call in
        RouteResponse(data: ["id": .string(call.pathParameters["id"] ?? ""), "organization": .string(call.principal.tenant.rawValue)])
    },
    APIRoute("GET", "/v1/things", .apiKey(role: "things:read")) { call in
        guard case .apiKey(let key) = call.principal else { throw EnvelopeError.toolFailure }
        return RouteResponse(data: ["tenant": .string(key.tenant.rawValue), "roles": .array(key.roles.map { .string($0) })])
    },
    APIRoute("POST", "/v1/things", .apiKey(role: "things:write")) { call in
        let body = try call.jsonBody()
        guard case .string(let name)? = body["name"] else { throw EnvelopeError(.invalidInput, "name must be a string.") }
        return RouteResponse(status: 201, data: ["created": .string(name)])
    },
]
}
