import Foundation
import Synchronization

/// The logs of the invocations that asked for them (`X-Amz-Log-Type: Tail`), collected line by line for
/// `X-Amz-Log-Result`: the emulator's own `START` / `END` / `REPORT` lines and messages, and the function's output
/// while the invocation runs.
///
/// Which output line belongs to which invocation:
/// - one invocation at a time (Lambda's default): every line the process writes while it runs;
/// - several at once (Managed Instances): a line is attributed by its request id only: the `requestId` member of a
///   JSON log line (Lambda's JSON log format), else the request id appearing in a text line (Lambda's text format
///   puts it in the second column). Lines naming no invocation in flight go to no invocation's log, so one
///   invocation's log never carries another's lines.
final class InvocationLogs: Sendable {
    private struct Capture {
        var generation: Int
        var bytes: [UInt8] = []
    }

    private let attributesByRequestID: Bool
    private let captures = Mutex<[String: Capture]>([:])

    /// `attributesByRequestID`: several invocations run at once (see the type's documentation).
    init(attributesByRequestID: Bool) {
        self.attributesByRequestID = attributesByRequestID
    }

    /// Starts collecting the log of `requestID`, run by the process of `generation`. Idempotent.
    func begin(requestID: String, generation: Int) {
        captures.withLock { captures in
            if captures[requestID] == nil { captures[requestID] = Capture(generation: generation) }
        }
    }

    /// Adds a line the emulator writes for `requestID` (a no-op unless its log is being collected).
    func append(_ line: [UInt8], to requestID: String) {
        captures.withLock { captures in
            guard var capture = captures[requestID] else { return }
            Self.add(line, to: &capture)
            captures[requestID] = capture
        }
    }

    /// Adds a line of output of the process of `generation` to the invocation it belongs to, if any.
    func route(_ line: [UInt8], generation: Int) {
        captures.withLock { captures in
            let candidates = captures.filter { $0.value.generation == generation }.map(\.key)
            guard !candidates.isEmpty else { return }
            var owners: [String]
            if attributesByRequestID {
                owners = Self.owner(of: line, among: candidates).map { [$0] } ?? []
            } else {
                owners = candidates
            }
            owners.sort()
            for owner in owners {
                guard var capture = captures[owner] else { continue }
                Self.add(line, to: &capture)
                captures[owner] = capture
            }
        }
    }

    /// Stops collecting the log of `requestID` and returns its last ``Limits/logTailBytes`` bytes (nil when it was
    /// not collected).
    func end(requestID: String) -> [UInt8]? {
        captures.withLock { captures in
            guard let capture = captures.removeValue(forKey: requestID) else { return nil }
            return Array(capture.bytes.suffix(Limits.logTailBytes))
        }
    }

    private static func add(_ line: [UInt8], to capture: inout Capture) {
        capture.bytes.append(contentsOf: line)
        // Only the tail is ever returned; keep memory bounded.
        if capture.bytes.count > 4 * Limits.logTailBytes {
            capture.bytes.removeFirst(capture.bytes.count - Limits.logTailBytes)
        }
    }

    /// The request id among `candidates` that `line` names: its JSON `requestId`, else one appearing in its text.
    private static func owner(of line: [UInt8], among candidates: [String]) -> String? {
        if line.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "{"),
           let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] {
            if let requestID = object["requestId"] as? String, candidates.contains(requestID) { return requestID }
            return nil
        }
        let text = String(decoding: line, as: UTF8.self)
        return candidates.first { text.contains($0) }
    }
}
