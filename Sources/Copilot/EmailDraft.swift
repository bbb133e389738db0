/// The copilot's customer e-mail (`generate_email`): a fixed template filled with the customer's usage trend,
/// open tickets and renewal date. Deterministic: no language model.
public struct EmailDraft: Sendable, Equatable {
    public let subject: String
    public let body: String

    public init(snapshot: CustomerSnapshot, customerId: String) {
        let name = snapshot.companyName ?? customerId
        let renewal = snapshot.contract?.renewalDate.map { String($0.prefix(10)) }
        subject = renewal.map { "\(name): planning ahead of your renewal on \($0)" } ?? "\(name): checking in on your account"

        var paragraphs = ["Hi \(name) team,"]
        switch snapshot.trend {
        case "up":
            paragraphs.append("Great news: usage keeps growing, with about \(snapshot.usage?.avgDailyUsers ?? 0) people active on a typical day. We'd love to hear what is working so well.")
        case "down":
            paragraphs.append("We noticed usage has dipped recently (about \(snapshot.usage?.avgDailyUsers ?? 0) daily active users). We'd like to understand what changed and how we can help your team get more value.")
        default:
            paragraphs.append("Usage has been steady, with about \(snapshot.usage?.avgDailyUsers ?? 0) daily active users. We have a few ideas that could help your team do more.")
        }
        switch snapshot.openTickets {
        case ...0:
            paragraphs.append("You have no open support tickets with us right now.")
        case 1:
            paragraphs.append("You have 1 open support ticket; we are on it and will keep you posted.")
        default:
            paragraphs.append("You have \(snapshot.openTickets) open support tickets; we are prioritising them and will share an update shortly.")
        }
        if let renewal {
            paragraphs.append("Your renewal is coming up on \(renewal). Could we find 30 minutes to review your goals for the next term?")
        } else {
            paragraphs.append("Could we find 30 minutes to review your goals for the coming months?")
        }
        paragraphs.append("Best regards,\nYour Customer Success team")
        body = paragraphs.joined(separator: "\n\n")
    }
}
