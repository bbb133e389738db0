public import Middleware

extension ErrorCode {
    /// The organization's enrichment budget (daily or monthly) cannot pay for the request.
    public static let budgetExceeded = ErrorCode("BUDGET_EXCEEDED", status: 429)
}
