/// The copilot's quarterly business review outline (`generate_qbr_outline`): fixed sections, some of them chosen
/// by the usage trend and the open ticket count.
public struct QBROutline: Sendable, Equatable {
    public let sections: [String]

    public init(snapshot: CustomerSnapshot) {
        var sections = ["Executive summary"]
        switch snapshot.trend {
        case "up": sections.append("Adoption wins: usage trending up")
        case "down": sections.append("Adoption risks: usage trending down and recovery plan")
        default: sections.append("Adoption review: steady usage and growth opportunities")
        }
        switch snapshot.openTickets {
        case ...0: sections.append("Support: no open tickets")
        case ...2: sections.append("Support: \(snapshot.openTickets) open tickets and their status")
        default: sections.append("Support escalations: \(snapshot.openTickets) open tickets and remediation plan")
        }
        sections.append("Renewal and commercial outlook")
        sections.append("Goals and success metrics for next quarter")
        sections.append("Action items and owners")
        self.sections = sections
    }
}
