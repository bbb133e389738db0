output "copilot_api_url" {
  description = "Base URL of the copilot tools (POST {url}/{tool})."
  value       = aws_api_gateway_stage.copilot.invoke_url
}

output "http_api_url" {
  description = "Base URL of the participant and intent APIs."
  value       = aws_apigatewayv2_stage.http.invoke_url
}

output "participant_export_url" {
  description = "Function URL of the streamed participant export (GET {url}api/participants/export, NDJSON)."
  value       = aws_lambda_function_url.fn["participant_export"].function_url
}

output "scheduled_dead_letter_queue_url" {
  description = "Failed scheduled runs (retention, enrichment_worker)."
  value       = aws_sqs_queue.scheduled_dlq.url
}

output "kms_key_arn" {
  description = "Key of the log groups, function environments and the dead-letter queue."
  value       = aws_kms_key.warden.arn
}

output "function_arns" {
  description = "Every function's ARN by name."
  value       = { for name, fn in aws_lambda_function.fn : name => fn.arn }
}

output "mcp_url" {
  description = "The MCP endpoint (Streamable HTTP; bearer JWT with aud mcp_audience whose sub is the copilot tenant)."
  value       = var.mcp_resource_url != "" ? var.mcp_resource_url : "${aws_apigatewayv2_stage.http.invoke_url}/mcp"
}
