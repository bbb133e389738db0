import Testing

@testable import Middleware

@Suite struct APIGatewayRequestTests {
    func httpEvent(rawPath: String, stage: String?) -> [UInt8] {
        let stageField = stage.map { #","stage":"\#($0)""# } ?? ""
        return Array(
            #"{"version":"2.0","rawPath":"\#(rawPath)","requestContext":{"http":{"method":"GET","path":"\#(rawPath)"}\#(stageField)}}"#.utf8
        )
    }

    @Test(arguments: [
        ("/prod/api/participants", "prod", "/api/participants"),
        ("/prod", "prod", "/"),
        ("/prod/", "prod", "/"),
        ("/production/api/x", "prod", "/production/api/x"),
        ("/api/participants", "$default", "/api/participants"),
        ("/api/participants", nil, "/api/participants"),
        ("/dev/api/participants", "prod", "/dev/api/participants"),
    ] as [(String, String?, String)])
    func namedStageSegmentIsRemovedFromRawPath(rawPath: String, stage: String?, expected: String) throws {
        let request = try APIGatewayRequest(event: httpEvent(rawPath: rawPath, stage: stage))
        #expect(request.path == expected)
        #expect(request.method == "GET")
    }

    @Test func restPathIsTakenAsIs() throws {
        let event = #"{"httpMethod":"POST","path":"/prod/calculate_health","requestContext":{"stage":"prod"}}"#
        let request = try APIGatewayRequest(event: Array(event.utf8))
        // REST payload 1.0 `path` never carries the stage: a resource that starts with the stage's name stays whole.
        #expect(request.path == "/prod/calculate_health")
    }
}
