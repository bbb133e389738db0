/// The answer to a `/next` long poll: an event, or a refusal (the process is gone, failed init, or shutdown).
enum NextOutcome: Sendable {
    case event(NextEvent)
    case refused(HTTPReply)
}
