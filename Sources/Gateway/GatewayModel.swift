/// Which kind of API Gateway API a route belongs to.
public enum APIKind: String, Sendable {
    /// `AWS::Serverless::Api` (API Gateway REST API, v1).
    case rest = "REST"
    /// `AWS::Serverless::HttpApi` (API Gateway HTTP API, v2).
    case http = "HTTP"
}

/// The Lambda proxy payload format of an integration.
public enum PayloadFormat: String, Sendable {
    case v1 = "1.0"
    case v2 = "2.0"
}

/// A CORS configuration API Gateway (HTTP API `CorsConfiguration`) or Lambda (Function URL `Cors`) applies itself.
public struct CORSConfiguration: Sendable, Equatable {
    public var allowOrigins: [String]
    public var allowMethods: [String]
    public var allowHeaders: [String]
    public var exposeHeaders: [String]
    public var maxAge: Int?
    public var allowCredentials: Bool

    public init(
        allowOrigins: [String] = [], allowMethods: [String] = [], allowHeaders: [String] = [], exposeHeaders: [String] = [],
        maxAge: Int? = nil, allowCredentials: Bool = false
    ) {
        self.allowOrigins = allowOrigins
        self.allowMethods = allowMethods
        self.allowHeaders = allowHeaders
        self.exposeHeaders = exposeHeaders
        self.maxAge = maxAge
        self.allowCredentials = allowCredentials
    }
}

/// One API of the template (explicit, or SAM's implicit `ServerlessRestApi` / `ServerlessHttpApi`).
public struct APIDefinition: Sendable {
    public var logicalID: String
    public var kind: APIKind
    /// The stage name (`$default` for an HTTP API without one).
    public var stageName: String
    /// REST only: media types whose requests are base64-encoded and whose base64 responses are decoded (`~1` → `/`).
    public var binaryMediaTypes: [String]
    public var stageVariables: [(String, String)]
    /// HTTP API only: API Gateway answers preflights and adds CORS headers itself.
    public var cors: CORSConfiguration?
    /// A made-up, stable API id (10 characters, like API Gateway's).
    public var apiID: String

    /// True when the stage is named (its name is a path prefix in URLs, and in an HTTP API's `rawPath`).
    public var hasNamedStage: Bool { stageName != "$default" && !stageName.isEmpty }
}

/// Where a REST API integration takes the tenant id it sends Lambda as `X-Amz-Tenant-Id`: the integration request
/// parameter `integration.request.header.X-Amz-Tenant-Id` of an OpenAPI `x-amazon-apigateway-integration`
/// (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html, "Invoking functions with tenant
/// isolation (API Gateway)"; the mapping expressions of
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/request-response-data-mappings.html).
public enum TenantIDSource: Sendable, Equatable {
    /// `method.request.header.NAME`
    case header(String)
    /// `method.request.querystring.NAME`
    case queryString(String)
    /// `method.request.path.NAME`
    case path(String)
    /// `stageVariables.NAME`
    case stageVariable(String)
    /// `'value'`: a static value.
    case literal(String)

    /// Parses a mapping expression; nil for the ones the gateway does not model (`context.…`, bodies).
    public init?(expression: String) {
        if expression.count >= 2, expression.hasPrefix("'"), expression.hasSuffix("'") {
            self = .literal(String(expression.dropFirst().dropLast()))
            return
        }
        let prefixes: [(String, (String) -> TenantIDSource)] = [
            ("method.request.header.", { .header($0) }), ("method.request.querystring.", { .queryString($0) }),
            ("method.request.path.", { .path($0) }), ("stageVariables.", { .stageVariable($0) }),
        ]
        for (prefix, make) in prefixes where expression.hasPrefix(prefix) && expression.count > prefix.count {
            self = make(String(expression.dropFirst(prefix.count)))
            return
        }
        return nil
    }
}

/// A method request parameter an OpenAPI operation declares `required`, enforced by API Gateway when the operation's
/// request validator validates parameters (`400 Missing required request parameters`).
public struct RequiredParameter: Sendable, Equatable {
    public enum Location: String, Sendable {
        case header
        case query
        case path
    }

    public var location: Location
    public var name: String
}

/// A route of an API: one `Api` / `HttpApi` event of a function, or one operation of a REST API's OpenAPI
/// `DefinitionBody` whose `aws_proxy` integration invokes a function of the template.
public struct RouteDefinition: Sendable {
    public var apiLogicalID: String
    public var kind: APIKind
    /// Upper-case method, or `ANY`.
    public var method: String
    /// The resource path (`/api/participants/{id}`, `/{proxy+}`), or `$default` for an HTTP API's default route.
    public var path: String
    public var payloadFormat: PayloadFormat
    /// Integration timeout (REST 29 s, HTTP API 30 s unless `TimeoutInMillis` says less).
    public var timeoutMilliseconds: Int
    /// The function's short name.
    public var function: String
    public var eventName: String
    /// REST API: where the integration takes the tenant id it sends Lambda (nil: it sends none).
    public var tenantIDSource: TenantIDSource?
    /// REST API: the method request parameters API Gateway requires before it integrates (request validation).
    public var requiredParameters: [RequiredParameter] = []

    /// `POST /api/participants/{id}`, or `$default`.
    public var routeKey: String { path == "$default" ? "$default" : "\(method) \(path)" }
}

/// How a Function URL returns responses.
public enum InvokeMode: String, Sendable {
    case buffered = "BUFFERED"
    case responseStream = "RESPONSE_STREAM"
}

/// A function's `FunctionUrlConfig`.
public struct FunctionURLDefinition: Sendable {
    public var authType: String
    public var invokeMode: InvokeMode
    public var cors: CORSConfiguration?
    /// A made-up, stable url id (32 characters, like Lambda's).
    public var urlID: String
}

/// A `Schedule` / `ScheduleV2` event (listed, not served).
public struct ScheduleDefinition: Sendable {
    public var eventName: String
    public var expression: String
}

/// An `AWS::Serverless::Function` as the gateway runs it.
public struct FunctionDefinition: Sendable {
    public var logicalID: String
    /// The short name: `FunctionName` without its `${AWS::StackName}-` prefix, else the logical id.
    public var name: String
    /// The deployed name (`AWS_LAMBDA_FUNCTION_NAME`): the resolved `FunctionName`, else `<stack>-<logical id>`.
    public var functionName: String
    public var bootstrap: String
    public var timeout: Double
    public var memorySize: Int
    /// The variables the function gets on top of (and winning over) the gateway's own environment.
    public var environment: [String: String]
    public var routes: [RouteDefinition]
    public var functionURL: FunctionURLDefinition?
    public var schedules: [ScheduleDefinition]
    /// Lambda Managed Instances (`CapacityProviderConfig`): the function's execution environments run several
    /// invocations at once.
    public var managedInstances = false
    /// `PerExecutionEnvironmentMaxConcurrency` (1 unless on Managed Instances).
    public var maxConcurrency = 1
    /// `TenancyConfig: {TenantIsolationMode: PER_TENANT}`.
    public var tenantIsolation = false

    /// True when anything HTTP reaches the function (routes or a Function URL).
    public var isServed: Bool { !routes.isEmpty || functionURL != nil }
}

/// Everything the gateway serves, read from a SAM template.
public struct GatewayTemplate: Sendable {
    public var apis: [APIDefinition]
    public var functions: [FunctionDefinition]
    /// What could not be resolved or is not emulated (printed at start).
    public var warnings: [String]

    public func api(_ logicalID: String) -> APIDefinition? { apis.first { $0.logicalID == logicalID } }
    public func function(_ name: String) -> FunctionDefinition? { functions.first { $0.name == name } }
}
