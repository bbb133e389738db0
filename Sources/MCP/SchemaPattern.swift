/// The regular expressions of the `pattern` keyword that our schemas use, without the standard library's regex engine
/// (the bootstraps leave `_StringProcessing` out): anchors `^` and `$`, literal characters, `\.`-style escapes and
/// `\xHH`, character classes `[…]` (ranges, negation, escapes inside), groups `(…)`, and the quantifiers `?`, `*`, `+`,
/// `{n}`, `{n,}` and `{n,m}`. Matching is over Unicode scalars, with backtracking bounded by the input's length times
/// the pattern's size (our patterns are small and the inputs short). Anything else is refused when the schema is
/// built, so a schema can never hold a pattern that silently means something else.
public struct SchemaPattern: Sendable, Equatable {
    indirect enum Node: Sendable, Equatable {
        case scalar(Unicode.Scalar)
        case any
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)
        case group([Node])
        case repeated(Node, min: Int, max: Int?)
        case start
        case end
    }

    /// The pattern as written.
    public let source: String
    let nodes: [Node]

    /// Parses `source`; `nil` when it uses syntax outside the supported subset.
    public init?(_ source: String) {
        var parser = Parser(scalars: Array(source.unicodeScalars))
        guard let nodes = parser.sequence(), parser.index == parser.scalars.count else { return nil }
        self.source = source
        self.nodes = nodes
    }

    /// Whether the pattern matches somewhere in `text` (JSON Schema patterns are not implicitly anchored).
    public func matches(_ text: String) -> Bool {
        let input = Array(text.unicodeScalars)
        var budget = 100_000 + input.count * 64
        for start in 0...input.count {
            if Self.match(nodes[...], input, start, &budget) != nil { return true }
            if budget <= 0 { return false }
        }
        return false
    }

    /// The end position of a match of `nodes` from `position`, trying alternatives by backtracking.
    private static func match(_ nodes: ArraySlice<Node>, _ input: [Unicode.Scalar], _ position: Int, _ budget: inout Int) -> Int? {
        budget -= 1
        guard budget > 0 else { return nil }
        guard let first = nodes.first else { return position }
        let rest = nodes.dropFirst()
        switch first {
        case .start:
            return position == 0 ? match(rest, input, position, &budget) : nil
        case .end:
            return position == input.count ? match(rest, input, position, &budget) : nil
        case .scalar, .any, .set:
            guard position < input.count, single(first, input[position]) else { return nil }
            return match(rest, input, position + 1, &budget)
        case .group(let inner):
            return match(inner[...] + rest, input, position, &budget)
        case .repeated(let node, let min, let max):
            // Greedy: collect every position reachable by 0, 1, 2 … repetitions, then try the longest first.
            var ends = [position]
            var current = position
            while max.map({ ends.count - 1 < $0 }) ?? true {
                guard let next = match([node][...], input, current, &budget), next != current else { break }
                ends.append(next)
                current = next
            }
            guard ends.count - 1 >= min else { return nil }
            for end in ends[min...].reversed() {
                if let found = match(rest, input, end, &budget) { return found }
            }
            return nil
        }
    }

    private static func single(_ node: Node, _ scalar: Unicode.Scalar) -> Bool {
        switch node {
        case .scalar(let s): return s == scalar
        case .any: return scalar != "\n"
        case .set(let ranges, let negated): return ranges.contains { $0.contains(scalar.value) } != negated
        default: return false
        }
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0

        mutating func sequence() -> [Node]? {
            var nodes: [Node] = []
            while index < scalars.count, scalars[index] != ")" {
                guard var atom = atom() else { return nil }
                if let (min, max) = quantifier() {
                    if case .start = atom { return nil }
                    if case .end = atom { return nil }
                    atom = .repeated(atom, min: min, max: max)
                }
                nodes.append(atom)
            }
            return nodes
        }

        mutating func atom() -> Node? {
            let c = scalars[index]
            index += 1
            switch c {
            case "^": return .start
            case "$": return .end
            case ".": return .any
            case "(":
                guard let inner = sequence(), index < scalars.count, scalars[index] == ")" else { return nil }
                index += 1
                return .group(inner)
            case "[": return set()
            case "\\": return escaped().map { .scalar($0) }
            case "?", "*", "+", "{", "}", ")", "]", "|": return nil
            default: return .scalar(c)
            }
        }

        mutating func escaped() -> Unicode.Scalar? {
            guard index < scalars.count else { return nil }
            let c = scalars[index]
            index += 1
            if c == "x" {
                guard index + 2 <= scalars.count, let value = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 2])), radix: 16)
                else { return nil }
                index += 2
                return Unicode.Scalar(value)
            }
            // Only escapes of punctuation: `\d`, `\w`, `\s`, `\b` and friends are outside the subset.
            guard c.isASCII, !(c.properties.isAlphabetic || ("0"..."9").contains(c)) else { return nil }
            return c
        }

        mutating func set() -> Node? {
            var negated = false
            if index < scalars.count, scalars[index] == "^" {
                negated = true
                index += 1
            }
            var ranges: [ClosedRange<UInt32>] = []
            while index < scalars.count, scalars[index] != "]" {
                guard let low = setMember() else { return nil }
                if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                    index += 1
                    guard let high = setMember(), low.value <= high.value else { return nil }
                    ranges.append(low.value...high.value)
                } else {
                    ranges.append(low.value...low.value)
                }
            }
            guard index < scalars.count, !ranges.isEmpty else { return nil }
            index += 1
            return .set(ranges: ranges, negated: negated)
        }

        mutating func setMember() -> Unicode.Scalar? {
            let c = scalars[index]
            index += 1
            if c == "\\" { return escaped() }
            if c == "[" { return nil }
            return c
        }

        mutating func quantifier() -> (Int, Int?)? {
            guard index < scalars.count else { return nil }
            switch scalars[index] {
            case "?":
                index += 1
                return (0, 1)
            case "*":
                index += 1
                return (0, nil)
            case "+":
                index += 1
                return (1, nil)
            case "{":
                var cursor = index + 1
                func number() -> Int? {
                    var digits = ""
                    while cursor < scalars.count, ("0"..."9").contains(scalars[cursor]), digits.count < 4 {
                        digits.unicodeScalars.append(scalars[cursor])
                        cursor += 1
                    }
                    return Int(digits)
                }
                guard let min = number() else { return nil }
                var max: Int? = min
                if cursor < scalars.count, scalars[cursor] == "," {
                    cursor += 1
                    max = number()
                }
                guard cursor < scalars.count, scalars[cursor] == "}", max.map({ $0 >= min }) ?? true else { return nil }
                index = cursor + 1
                return (min, max)
            default: return nil
            }
        }
    }
}
