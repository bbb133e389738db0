variable "name_prefix" {
  description = "Prefix of every resource name (the SAM stack name's role)."
  type        = string
  default     = "warden"
}

variable "stage_name" {
  description = "Stage of both APIs (part of their URLs)."
  type        = string
  default     = "prod"
}

variable "dist_dir" {
  description = "Folder holding <function>.zip as built by `make package` (dist/ of the repository)."
  type        = string
  default     = null
}

variable "hmac_param_name" {
  description = "SSM SecureString holding the copilot's HMAC secret (HMAC_PARAM_NAME)."
  type        = string
  default     = "/copilot/hmac/v1"
}

variable "database_url_param_name" {
  description = "SSM SecureString with the database URL or RDS JSON (DATABASE_URL_PARAM_NAME); empty to use database_secret_arn."
  type        = string
  default     = "/warden/database-url"
}

variable "database_secret_arn" {
  description = "Secrets Manager secret written by RDS rotation (DATABASE_SECRET_ARN); used when database_url_param_name is empty."
  type        = string
  default     = ""
}

variable "enrichment_url" {
  description = "Base URL of the enrichment provider (ENRICHMENT_URL)."
  type        = string
  default     = ""
}

variable "enrichment_secret_arn" {
  description = "Secrets Manager secret with the provider's API key (ENRICHMENT_SECRET_ARN)."
  type        = string
  default     = ""
}

variable "enrichment_daily_budget_cents" {
  description = "Daily enrichment budget per organization (ENRICHMENT_DAILY_BUDGET_CENTS)."
  type        = number
  default     = 5000
}

variable "enrichment_monthly_budget_cents" {
  description = "Monthly enrichment budget per organization (ENRICHMENT_MONTHLY_BUDGET_CENTS)."
  type        = number
  default     = 100000
}

variable "jwt_secret_arn" {
  description = "Secrets Manager secret (plain, at least 32 bytes) read at apply time into JWT_SECRET (HS256); empty when jwt_jwks is used."
  type        = string
  default     = ""
}

variable "jwt_jwks" {
  description = "JWKS document (JSON) for RS256/ES256 bearer tokens (JWT_JWKS); leave empty when jwt_jwks_url is set."
  type        = string
  default     = ""
}

variable "jwt_jwks_url" {
  description = "HTTPS URL of the issuer's JWKS (JWT_JWKS_URL), e.g. https://<project>.supabase.co/auth/v1/.well-known/jwks.json: fetched when first needed, cached for JWT_JWKS_TTL_SECONDS, refetched for an unknown kid; signing keys rotate without a redeploy."
  type        = string
  default     = ""

  validation {
    condition     = var.jwt_jwks_url == "" || can(regex("^https://[^\\s]+$", var.jwt_jwks_url))
    error_message = "jwt_jwks_url must be empty or an https:// URL."
  }
}

variable "jwt_issuer" {
  description = "Required iss of bearer tokens, empty for any (JWT_ISSUER)."
  type        = string
  default     = ""
}

variable "jwt_audience" {
  description = "Required aud of bearer tokens, empty for any (JWT_AUDIENCE)."
  type        = string
  default     = ""
}

variable "mcp_audience" {
  description = "Required aud of the MCP endpoint's bearer tokens (the mcp function's JWT_AUDIENCE; the token's sub is the copilot tenant)."
  type        = string
  default     = "warden-mcp"
  validation {
    condition     = length(var.mcp_audience) > 0
    error_message = "The MCP endpoint needs an audience."
  }
}

variable "mcp_resource_url" {
  description = "Public URL of the MCP endpoint (MCP_RESOURCE_URL, the RFC 9728 resource); empty - https://<Host of the request>/<stage_name>/mcp."
  type        = string
  default     = ""
}

variable "mcp_allow_guests" {
  description = "Whether the MCP endpoint serves requests without a token as the guest tenant public (MCP_ALLOW_GUESTS)."
  type        = bool
  default     = false
}

variable "mcp_tool_calls_per_minute" {
  description = "Tool calls per minute per token subject over MCP (MCP_TOOL_CALLS_PER_MINUTE, 0 off), apart from rate_limit_per_minute."
  type        = number
  default     = 60
}

variable "allowed_origin" {
  description = "Comma-separated exact browser origins allowed (ALLOWED_ORIGIN)."
  type        = string
  default     = ""
}

variable "rate_limit_per_minute" {
  description = "Token bucket per organization of the participant and intent APIs (RATE_LIMIT_PER_MINUTE, 0 off; seed 003's 100)."
  type        = number
  default     = 100
}

variable "copilot_rate_limit_per_minute" {
  description = "Token bucket per copilot tenant across the six tools (RATE_LIMIT_PER_MINUTE, 0 off). Every guest shares the tenant public and a page view calls up to six tools at once; 600 admits 60 guest page views a minute."
  type        = number
  default     = 600
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second allowed by each API stage."
  type        = number
  default     = 50
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests allowed by each API stage."
  type        = number
  default     = 100
}

variable "copilot_reserved_concurrency" {
  description = "Reserved concurrency of each copilot tool function."
  type        = number
  default     = 10
}

variable "api_reserved_concurrency" {
  description = "Reserved concurrency of the participants and intent functions."
  type        = number
  default     = 20
}

variable "export_reserved_concurrency" {
  description = "Reserved concurrency of the participant export (each export streams a whole organization)."
  type        = number
  default     = 5
}

variable "log_retention_days" {
  description = "Retention of every log group (at least a year)."
  type        = number
  default     = 365
}

variable "unauthorized_alarm_threshold" {
  description = "Unauthorized calls (all HTTP functions) within one minute that raise the unauthorized-burst alarm."
  type        = number
  default     = 50
}

variable "rate_limited_alarm_threshold" {
  description = "Calls refused by a rate limit or a tool-call budget (all HTTP functions) within one minute that raise the rate-limited-burst alarm (unusual access volume)."
  type        = number
  default     = 100
}

variable "alarm_email" {
  description = "Optional address subscribed to the alarm topic (empty - no subscription)."
  type        = string
  default     = ""
}

variable "tenant_isolation" {
  description = "Lambda tenant isolation mode for the six copilot tools (docs/TENANCY.md): LAMBDA_TENANT_MATCH=required, and the REST API maps the client's X-Tenant-Id header to the invocation's tenant id (X-Amz-Tenant-Id). The functions' tenancy_config needs hashicorp/aws >= 6.23 and tenant_isolation_override.tf.example copied in as tenant_isolation_override.tf; without it, true fails the plan. Set when the functions are created: changing it replaces them."
  type        = bool
  default     = false
}
