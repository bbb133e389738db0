# Warden on AWS (Terraform): the same functions, routes, schedules and settings as ../template.yaml (SAM);
# Tests/e2e/test_templates.py checks that both declare the same functions, routes, timeouts, memory sizes and
# environment variable names. Each function deploys from dist/<function>.zip (`make package`).

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

data "aws_secretsmanager_secret_version" "jwt" {
  count     = var.jwt_secret_arn == "" ? 0 : 1
  secret_id = var.jwt_secret_arn
}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition
  dist_dir  = coalesce(var.dist_dir, "${path.module}/../../dist")

  # Every function gets these; each function's own variables are in `functions` below.
  common_env = {
    DATABASE_URL_PARAM_NAME = var.database_url_param_name
    DATABASE_SECRET_ARN     = var.database_secret_arn
    SECRETS_TTL_SECONDS     = "300"
  }
  copilot_env = {
    HMAC_PARAM_NAME       = var.hmac_param_name
    ALLOWED_ORIGIN        = var.allowed_origin
    RATE_LIMIT_PER_MINUTE = tostring(var.copilot_rate_limit_per_minute)
    LAMBDA_TENANT_MATCH   = var.tenant_isolation ? "required" : "off"
  }
  enrichment_env = {
    ENRICHMENT_URL                  = var.enrichment_url
    ENRICHMENT_SECRET_ARN           = var.enrichment_secret_arn
    ENRICHMENT_DAILY_BUDGET_CENTS   = tostring(var.enrichment_daily_budget_cents)
    ENRICHMENT_MONTHLY_BUDGET_CENTS = tostring(var.enrichment_monthly_budget_cents)
  }
  participants_env = {
    ALLOWED_ORIGIN        = var.allowed_origin
    RATE_LIMIT_PER_MINUTE = tostring(var.rate_limit_per_minute)
    JWT_SECRET            = try(data.aws_secretsmanager_secret_version.jwt[0].secret_string, "")
    JWT_JWKS              = var.jwt_jwks
    JWT_JWKS_URL          = var.jwt_jwks_url
    JWT_ISSUER            = var.jwt_issuer
    JWT_AUDIENCE          = var.jwt_audience
  }
  export_env = {
    EXPORT_PAGE_SIZE = "500"
  }
  intent_env = {
    ALLOWED_ORIGIN        = var.allowed_origin
    RATE_LIMIT_PER_MINUTE = tostring(var.rate_limit_per_minute)
  }
  retention_env = {
    RETENTION_BATCH_SIZE = "500"
  }
  # The copilot tools over MCP: bearer JWTs whose sub is the copilot tenant, with their own audience.
  mcp_env = {
    ALLOWED_ORIGIN            = var.allowed_origin
    RATE_LIMIT_PER_MINUTE     = tostring(var.copilot_rate_limit_per_minute)
    JWT_SECRET                = try(data.aws_secretsmanager_secret_version.jwt[0].secret_string, "")
    JWT_JWKS                  = var.jwt_jwks
    JWT_JWKS_URL              = var.jwt_jwks_url
    JWT_ISSUER                = var.jwt_issuer
    JWT_AUDIENCE              = var.mcp_audience
    MCP_RESOURCE_URL          = var.mcp_resource_url
    MCP_STAGE                 = var.stage_name
    MCP_ALLOW_GUESTS          = var.mcp_allow_guests ? "true" : "false"
    MCP_TOOL_CALLS_PER_MINUTE = tostring(var.mcp_tool_calls_per_minute)
  }

  # name => settings. role: the IAM role (and so the permissions) it runs with.
  functions = {
    get_customer_usage   = { timeout = 10, memory_size = 256, role = "copilot", api = "rest", environment = local.copilot_env }
    get_recent_tickets   = { timeout = 10, memory_size = 256, role = "copilot", api = "rest", environment = local.copilot_env }
    get_contract_info    = { timeout = 10, memory_size = 256, role = "copilot", api = "rest", environment = local.copilot_env }
    calculate_health     = { timeout = 10, memory_size = 256, role = "copilot", api = "rest", environment = local.copilot_env }
    generate_email       = { timeout = 10, memory_size = 256, role = "copilot", api = "rest", environment = local.copilot_env }
    generate_qbr_outline = { timeout = 10, memory_size = 256, role = "copilot", api = "rest", environment = local.copilot_env }
    participants         = { timeout = 15, memory_size = 256, role = "participants", api = "http", environment = merge(local.participants_env, local.enrichment_env) }
    participant_export   = { timeout = 60, memory_size = 256, role = "participant_export", api = "url", environment = merge(local.participants_env, local.export_env) }
    intent               = { timeout = 10, memory_size = 512, role = "intent", api = "http", environment = local.intent_env }
    enrichment_worker    = { timeout = 60, memory_size = 256, role = "enrichment_worker", api = "schedule", environment = local.enrichment_env }
    retention            = { timeout = 300, memory_size = 256, role = "retention", api = "schedule", environment = local.retention_env }
    mcp                  = { timeout = 10, memory_size = 512, role = "mcp", api = "http", environment = local.mcp_env }
  }

  reserved_concurrency = {
    rest     = var.copilot_reserved_concurrency
    http     = var.api_reserved_concurrency
    url      = var.export_reserved_concurrency
    schedule = 1
  }

  # Function URLs: function => invoke mode. The export streams (Lambda response streaming, payload format 2.0).
  function_urls = {
    participant_export = { invoke_mode = "RESPONSE_STREAM" }
  }

  # EventBridge schedules: function => expression (and retries of a failed run).
  schedules = {
    enrichment_worker = { expression = "rate(1 minute)", retries = 0 }
    retention         = { expression = "rate(1 day)", retries = 2 }
  }

  # REST API (payload 1.0): "METHOD /path" => function; OPTIONS is the CORS preflight each function answers.
  rest_routes = {
    "POST /get_customer_usage"      = "get_customer_usage"
    "OPTIONS /get_customer_usage"   = "get_customer_usage"
    "POST /get_recent_tickets"      = "get_recent_tickets"
    "OPTIONS /get_recent_tickets"   = "get_recent_tickets"
    "POST /get_contract_info"       = "get_contract_info"
    "OPTIONS /get_contract_info"    = "get_contract_info"
    "POST /calculate_health"        = "calculate_health"
    "OPTIONS /calculate_health"     = "calculate_health"
    "POST /generate_email"          = "generate_email"
    "OPTIONS /generate_email"       = "generate_email"
    "POST /generate_qbr_outline"    = "generate_qbr_outline"
    "OPTIONS /generate_qbr_outline" = "generate_qbr_outline"
  }

  # HTTP API (payload 2.0): every route of docs/openapi.yaml served by participants, intent and mcp.
  http_routes = {
    "GET /api/participants"                         = "participants"
    "POST /api/participants"                        = "participants"
    "OPTIONS /api/participants"                     = "participants"
    "PUT /api/participants/{id}"                    = "participants"
    "OPTIONS /api/participants/{id}"                = "participants"
    "POST /api/participants/{id}/erase"             = "participants"
    "OPTIONS /api/participants/{id}/erase"          = "participants"
    "GET /api/participants/{id}/export"             = "participants"
    "OPTIONS /api/participants/{id}/export"         = "participants"
    "POST /api/participants/{id}/enrich"            = "participants"
    "OPTIONS /api/participants/{id}/enrich"         = "participants"
    "POST /api/participants/enrich"                 = "participants"
    "OPTIONS /api/participants/enrich"              = "participants"
    "GET /api/enrichment-jobs/{id}"                 = "participants"
    "OPTIONS /api/enrichment-jobs/{id}"             = "participants"
    "GET /api/enrichment/budget"                    = "participants"
    "OPTIONS /api/enrichment/budget"                = "participants"
    "POST /v1/intent/score"                         = "intent"
    "OPTIONS /v1/intent/score"                      = "intent"
    "POST /mcp"                                     = "mcp"
    "OPTIONS /mcp"                                  = "mcp"
    "GET /.well-known/oauth-protected-resource"     = "mcp"
    "OPTIONS /.well-known/oauth-protected-resource" = "mcp"
  }

  rest_paths = toset([for route, fn in local.rest_routes : trimprefix(split(" ", route)[1], "/")])
  roles      = toset([for name, fn in local.functions : fn.role])
  ssm_arn    = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter"

  # Tenant isolation (var.tenant_isolation, docs/TENANCY.md): the functions' tenancy_config block exists from
  # hashicorp/aws 6.23 on, and this configuration is tested with 5.x, so the block lives in
  # tenant_isolation_override.tf.example, which also sets this to true once copied in as an override file.
  tenancy_config_supported = false
}

# --- encryption -----------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:a key policy's resource is always "*" (this key); administration stays with the account's IAM
  #checkov:skip=CKV_AWS_356:a key policy's resource is always "*" (this key); services are limited by conditions
  #checkov:skip=CKV_AWS_109:a key policy's resource is always "*" (this key); administration stays with the account's IAM
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:*"]
    }
  }
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_kms_key" "warden" {
  description         = "Warden - log groups, function environments and the dead-letter queue"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "warden" {
  name          = "alias/${var.name_prefix}-warden"
  target_key_id = aws_kms_key.warden.key_id
}

# --- dead-letter queue of the scheduled functions -------------------------------------------------------------------

resource "aws_sqs_queue" "scheduled_dlq" {
  name                      = "${var.name_prefix}-scheduled-dlq"
  kms_master_key_id         = aws_kms_key.warden.arn
  message_retention_seconds = 1209600
}

data "aws_iam_policy_document" "scheduled_dlq" {
  statement {
    sid       = "EventBridgeRules"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.scheduled_dlq.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_sqs_queue_policy" "scheduled_dlq" {
  queue_url = aws_sqs_queue.scheduled_dlq.id
  policy    = data.aws_iam_policy_document.scheduled_dlq.json
}

# --- logs -----------------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "fn" {
  for_each          = local.functions
  name              = "/warden/${var.name_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.warden.arn
}

resource "aws_cloudwatch_log_group" "api" {
  for_each          = toset(["copilot", "http"])
  name              = "/warden/${var.name_prefix}/api/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.warden.arn
}

# --- IAM: one role per kind of function, only the named parameters and secrets ---------------------------------------

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "fn" {
  for_each = local.roles

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for name, fn in local.functions : "${aws_cloudwatch_log_group.fn[name].arn}:*" if fn.role == each.key]
  }
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
  statement {
    sid       = "EnvironmentKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.warden.arn]
  }
  statement {
    sid       = "DecryptViaSsmAndSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account}:key/*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com", "secretsmanager.${local.region}.amazonaws.com"]
    }
  }
  dynamic "statement" {
    for_each = var.database_url_param_name == "" ? [] : [1]
    content {
      sid       = "DatabaseUrlParameter"
      actions   = ["ssm:GetParameter"]
      resources = ["${local.ssm_arn}${var.database_url_param_name}"]
    }
  }
  dynamic "statement" {
    for_each = var.database_secret_arn == "" ? [] : [1]
    content {
      sid       = "DatabaseSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.database_secret_arn]
    }
  }
  dynamic "statement" {
    for_each = each.key == "copilot" ? [1] : []
    content {
      sid       = "HmacParameter"
      actions   = ["ssm:GetParameter"]
      resources = ["${local.ssm_arn}${var.hmac_param_name}"]
    }
  }
  dynamic "statement" {
    for_each = contains(["participants", "enrichment_worker"], each.key) && var.enrichment_secret_arn != "" ? [1] : []
    content {
      sid       = "EnrichmentSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.enrichment_secret_arn]
    }
  }
  dynamic "statement" {
    for_each = contains(keys(local.schedules), each.key) ? [1] : []
    content {
      sid       = "DeadLetterQueue"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.scheduled_dlq.arn]
    }
  }
  dynamic "statement" {
    for_each = contains(keys(local.schedules), each.key) ? [1] : []
    content {
      sid       = "DeadLetterQueueKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [aws_kms_key.warden.arn]
    }
  }
}

resource "aws_iam_role" "fn" {
  for_each           = local.roles
  name               = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_iam_role_policy" "fn" {
  for_each = local.roles
  name     = "warden-function"
  role     = aws_iam_role.fn[each.key].id
  policy   = data.aws_iam_policy_document.fn[each.key].json
}

# --- functions ------------------------------------------------------------------------------------------------------

resource "aws_lambda_function" "fn" {
  #checkov:skip=CKV_AWS_117:VPC placement depends on where the database runs; add vpc_config (with SSM and Secrets Manager endpoints) for a private database
  #checkov:skip=CKV_AWS_116:the API functions are invoked synchronously (failures go back to the caller); the scheduled ones get the dead-letter queue below
  #checkov:skip=CKV_AWS_272:the bootstrap is built reproducibly from this repository (scripts/package.sh); code signing would need a signer profile outside this template
  for_each      = local.functions
  function_name = "${var.name_prefix}-${each.key}"
  description   = "Warden ${each.key} (static Swift bootstrap)"
  role          = aws_iam_role.fn[each.value.role].arn
  filename      = "${local.dist_dir}/${each.key}.zip"
  # The zip is byte-identical on a rebuild, so its hash changes only with the code.
  source_code_hash               = filebase64sha256("${local.dist_dir}/${each.key}.zip")
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["x86_64"]
  timeout                        = each.value.timeout
  memory_size                    = each.value.memory_size
  reserved_concurrent_executions = local.reserved_concurrency[each.value.api]
  kms_key_arn                    = aws_kms_key.warden.arn

  environment {
    variables = merge(local.common_env, each.value.environment)
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.fn[each.key].name
  }

  dynamic "dead_letter_config" {
    for_each = contains(keys(local.schedules), each.key) ? [1] : []
    content {
      target_arn = aws_sqs_queue.scheduled_dlq.arn
    }
  }

  lifecycle {
    # Without tenancy_config the functions are not tenant-isolated: the REST API would send them a tenant id (which
    # Lambda refuses for such a function) and LAMBDA_TENANT_MATCH=required would refuse every call.
    precondition {
      condition     = !var.tenant_isolation || local.tenancy_config_supported
      error_message = "tenant_isolation = true needs the functions' tenancy_config: hashicorp/aws >= 6.23 and tenant_isolation_override.tf.example copied in as tenant_isolation_override.tf (docs/TENANCY.md)."
    }
  }

  depends_on = [aws_iam_role_policy.fn]
}

# --- schedules (EventBridge) ----------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each            = local.schedules
  name                = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description         = "Warden ${each.key}"
  schedule_expression = each.value.expression
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = local.schedules
  rule     = aws_cloudwatch_event_rule.schedule[each.key].name
  arn      = aws_lambda_function.fn[each.key].arn

  retry_policy {
    maximum_retry_attempts       = each.value.retries
    maximum_event_age_in_seconds = 3600
  }

  dead_letter_config {
    arn = aws_sqs_queue.scheduled_dlq.arn
  }
}

resource "aws_lambda_function_event_invoke_config" "schedule" {
  for_each               = local.schedules
  function_name          = aws_lambda_function.fn[each.key].function_name
  maximum_retry_attempts = each.value.retries
}

resource "aws_lambda_permission" "schedule" {
  for_each      = local.schedules
  statement_id  = "EventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[each.key].arn
}

# --- alarms on the functions' Embedded Metric Format lines (namespace Warden, the account-wide dimension set) -------

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = aws_kms_key.warden.arn
}

data "aws_iam_policy_document" "alarms" {
  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms.json
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "unauthorized_burst" {
  alarm_name          = "${var.name_prefix}-unauthorized-burst"
  alarm_description   = "A burst of unauthorized calls to the HTTP functions"
  namespace           = "Warden"
  metric_name         = "Unauthorized"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.unauthorized_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "rate_limited_burst" {
  alarm_name          = "${var.name_prefix}-rate-limited-burst"
  alarm_description   = "Unusual access volume - a burst of calls refused by the rate limits or the MCP tool-call budgets"
  namespace           = "Warden"
  metric_name         = "RateLimited"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.rate_limited_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name_prefix}-errors"
  alarm_description   = "An HTTP function answered with a server error (5xx, TOOL_FAILURE)"
  namespace           = "Warden"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
