# The two APIs: REST (payload 1.0) for the copilot tools, HTTP (payload 2.0) for participants and intent, and the
# Function URL of the streamed participant export. The functions authenticate every request themselves (HMAC
# signature, bearer JWT, API key) and answer CORS preflights.

# --- REST API: the copilot tools ------------------------------------------------------------------------------------

resource "aws_api_gateway_rest_api" "copilot" {
  name = "${var.name_prefix}-copilot"
  # The signature covers the body's raw bytes: as a binary media type the JSON body reaches the function
  # base64-encoded and unchanged, never re-read as UTF-8 text with invalid bytes replaced by U+FFFD (template.yaml).
  binary_media_types = ["application/json"]
  endpoint_configuration {
    types = ["REGIONAL"]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "tool" {
  for_each    = local.rest_paths
  rest_api_id = aws_api_gateway_rest_api.copilot.id
  parent_id   = aws_api_gateway_rest_api.copilot.root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_method" "tool" {
  #checkov:skip=CKV_AWS_59:each copilot function checks the HMAC request signature before it reads the body; OPTIONS is the unauthenticated CORS preflight
  #checkov:skip=CKV2_AWS_53:bodies are validated by the functions, which answer 400 INVALID_INPUT in the envelope
  for_each      = local.rest_routes
  rest_api_id   = aws_api_gateway_rest_api.copilot.id
  resource_id   = aws_api_gateway_resource.tool[trimprefix(split(" ", each.key)[1], "/")].id
  http_method   = split(" ", each.key)[0]
  authorization = "NONE"
  # Tenant isolation: a call names its tenant in X-Tenant-Id (required, else API Gateway answers 400).
  request_parameters   = var.tenant_isolation && split(" ", each.key)[0] == "POST" ? { "method.request.header.X-Tenant-Id" = true } : {}
  request_validator_id = var.tenant_isolation && split(" ", each.key)[0] == "POST" ? aws_api_gateway_request_validator.tenant[0].id : null
}

resource "aws_api_gateway_request_validator" "tenant" {
  count                       = var.tenant_isolation ? 1 : 0
  name                        = "tenant"
  rest_api_id                 = aws_api_gateway_rest_api.copilot.id
  validate_request_parameters = true
  validate_request_body       = false
}

resource "aws_api_gateway_integration" "tool" {
  for_each                = local.rest_routes
  rest_api_id             = aws_api_gateway_rest_api.copilot.id
  resource_id             = aws_api_gateway_method.tool[each.key].resource_id
  http_method             = aws_api_gateway_method.tool[each.key].http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.fn[each.value].invoke_arn
  # Tenant isolation (docs/TENANCY.md): Lambda takes the invocation's tenant id from the X-Amz-Tenant-Id header of
  # the Invoke call, mapped from the client's X-Tenant-Id; the CORS preflight, which carries no custom header, gets
  # a fixed tenant id of its own. Off, no tenant id is sent (Lambda refuses one for a function not in that mode).
  request_parameters = !var.tenant_isolation ? {} : {
    "integration.request.header.X-Amz-Tenant-Id" = split(" ", each.key)[0] == "POST" ? "method.request.header.X-Tenant-Id" : "'cors-preflight'"
  }
}

resource "aws_api_gateway_deployment" "copilot" {
  rest_api_id = aws_api_gateway_rest_api.copilot.id
  triggers = {
    redeployment = sha1(jsonencode([
      local.rest_routes, [for k, i in aws_api_gateway_integration.tool : [i.uri, i.request_parameters]],
      [for k, m in aws_api_gateway_method.tool : [m.request_parameters, m.request_validator_id]], aws_api_gateway_rest_api.copilot.binary_media_types,
    ]))
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "copilot" {
  #checkov:skip=CKV_AWS_120:replies are per tenant and per signed request; caching them would serve one caller's data to another
  #checkov:skip=CKV2_AWS_51:clients are authenticated by HMAC signatures, not TLS client certificates
  #checkov:skip=CKV2_AWS_29:a WAF web ACL is account policy; associate one with the stage outside this template if required
  rest_api_id          = aws_api_gateway_rest_api.copilot.id
  deployment_id        = aws_api_gateway_deployment.copilot.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api["copilot"].arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", method = "$context.httpMethod", path = "$context.resourcePath", status = "$context.status", latency = "$context.responseLatency" })
  }
}

resource "aws_api_gateway_method_settings" "copilot" {
  #checkov:skip=CKV_AWS_225:replies are per tenant and per signed request, never cached
  rest_api_id = aws_api_gateway_rest_api.copilot.id
  stage_name  = aws_api_gateway_stage.copilot.stage_name
  method_path = "*/*"
  settings {
    throttling_rate_limit  = var.api_throttling_rate_limit
    throttling_burst_limit = var.api_throttling_burst_limit
    logging_level          = "ERROR"
    metrics_enabled        = true
    data_trace_enabled     = false
    caching_enabled        = false
  }
}

resource "aws_lambda_permission" "rest" {
  for_each      = toset(distinct(values(local.rest_routes)))
  statement_id  = "CopilotRestApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.copilot.execution_arn}/*/*/${each.key}"
}

# --- HTTP API: participants and intent ------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "http" {
  name          = "${var.name_prefix}-http"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "fn" {
  for_each               = toset(distinct(values(local.http_routes)))
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.fn[each.key].invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "http" {
  #checkov:skip=CKV_AWS_309:bearer JWTs (HS256 or JWKS) and API keys are verified by the functions, with roles per route
  for_each           = local.http_routes
  api_id             = aws_apigatewayv2_api.http.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.fn[each.value].id}"
  authorization_type = "NONE"
}

resource "aws_apigatewayv2_stage" "http" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = var.stage_name
  auto_deploy = true
  default_route_settings {
    throttling_rate_limit    = var.api_throttling_rate_limit
    throttling_burst_limit   = var.api_throttling_burst_limit
    detailed_metrics_enabled = true
  }
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api["http"].arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", method = "$context.httpMethod", path = "$context.path", status = "$context.status", latency = "$context.responseLatency" })
  }
}

resource "aws_lambda_permission" "http" {
  for_each      = toset(distinct(values(local.http_routes)))
  statement_id  = "WardenHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/*"
}

# --- Function URLs: the streamed participant export -----------------------------------------------------------------

resource "aws_lambda_function_url" "fn" {
  #checkov:skip=CKV_AWS_258:authorization NONE: the function verifies the bearer JWT itself (as the HTTP API functions do) before it reads any row; browsers cannot sign IAM requests
  for_each           = local.function_urls
  function_name      = aws_lambda_function.fn[each.key].function_name
  authorization_type = "NONE"
  invoke_mode        = each.value.invoke_mode

  dynamic "cors" {
    for_each = var.allowed_origin == "" ? [] : [1]
    content {
      allow_origins = [for origin in split(",", var.allowed_origin) : trimspace(origin)]
      allow_methods = ["GET"]
      allow_headers = ["authorization", "content-type"]
      max_age       = 300
    }
  }
}

# A public URL needs a public lambda:InvokeFunctionUrl grant (limited to AuthType NONE URLs). Function URLs created
# since October 2025 also need lambda:InvokeFunction restricted to calls through the URL (InvokedViaFunctionUrl),
# which the AWS provider 5.x cannot express: see template/README.md for the one `aws lambda add-permission`.
resource "aws_lambda_permission" "url" {
  #checkov:skip=CKV_AWS_301:a Function URL with authorization NONE must be invokable by anyone; the grant covers only InvokeFunctionUrl for NONE URLs and the function verifies the bearer JWT
  for_each               = local.function_urls
  statement_id           = "FunctionUrlPublicAccess"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.fn[each.key].function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}
