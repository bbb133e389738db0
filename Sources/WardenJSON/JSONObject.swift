/// A JSON object that keeps its members in input (or insertion) order.
///
/// Members are stored as an array of key/value pairs, so serialization reproduces the stored order. A key may occur
/// more than once when the object was parsed from input that repeats it (or built with `append(key:value:)`); lookups
/// then return the **last** occurrence, and `hasDuplicateKeys` reports the situation.
///
/// Lookup is a backwards linear scan for small objects and uses a hash index once the object has more than
/// `indexThreshold` members.
///
/// Keys are compared with Swift `String` equality (Unicode canonical equivalence), for lookups and duplicate detection
/// alike.
///
/// Equality is JSON equality: two objects are equal when they have the same set of keys and the values found by
/// lookup are equal; member order and shadowed duplicates do not matter.
public struct JSONObject: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// A member of the object.
    public typealias Element = (key: String, value: JSON)
    /// Position of a member in stored order.
    public typealias Index = Int

    /// Objects with more members than this keep a hash index for lookups.
    public static let indexThreshold = 16

    private var members: [Element]
    /// Key to position of its last occurrence; only maintained (and `isIndexed`) when `members.count > indexThreshold`.
    private var index: [String: Int]
    private var isIndexed: Bool

    /// What is known about repeated keys.
    private enum Duplicates: UInt8 {
        case absent, present
        /// Members were appended without checking (the parser's fast path when not rejecting duplicates).
        case unknown
    }

    private var duplicates: Duplicates

    /// Whether some key occurs more than once (lookups see the last occurrence).
    ///
    /// The parser only checks keys as it goes with `rejectDuplicateKeys`; otherwise a small object (at most
    /// `indexThreshold` members) finds out when this is read by hashing its keys, and a larger one knows it from its
    /// index.
    public var hasDuplicateKeys: Bool {
        switch duplicates {
        case .absent: false
        case .present: true
        case .unknown: uniqueKeyCount != members.count
        }
    }

    /// Creates an empty object. (Empty dictionaries here are `.init()`, not `[:]`: a size-optimised build makes an
    /// empty literal through `init(dictionaryLiteral:)`, which looks up the element tuple's metadata on every call.)
    public init() {
        members = []
        index = .init()
        isIndexed = false
        duplicates = .absent
    }

    /// Creates an empty object with room for `minimumCapacity` members.
    public init(minimumCapacity: Int) {
        self.init()
        members.reserveCapacity(minimumCapacity)
    }

    /// Creates an object from key/value pairs in order, keeping duplicates (the last one wins on lookup).
    public init(_ pairs: some Sequence<(String, JSON)>) {
        self.init()
        for (key, value) in pairs {
            append(key: key, value: value)
        }
    }

    /// Creates an object from a literal; a repeated key replaces the earlier value in its original position.
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(minimumCapacity: elements.count)
        for (key, value) in elements {
            self[key] = value
        }
    }

    // MARK: Collection (iteration visits every stored member, shadowed duplicates included)

    /// Position of the first member.
    public var startIndex: Int { 0 }
    /// Position after the last member.
    public var endIndex: Int { members.count }
    /// The member at `position`, in stored order.
    public subscript(position: Int) -> Element { members[position] }

    /// The keys in stored order (including shadowed duplicates).
    public var keys: [String] { members.map(\.key) }
    /// The values in stored order (including shadowed duplicates).
    public var values: [JSON] { members.map(\.value) }

    /// Reserves room for `minimumCapacity` members.
    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        members.reserveCapacity(minimumCapacity)
    }

    // MARK: Lookup

    /// Position of the last occurrence of `key`, or `nil`.
    public func lastIndex(forKey key: String) -> Int? {
        if isIndexed {
            return index[key]
        }
        var position = members.count
        while position > 0 {
            position -= 1
            if members[position].key == key {
                return position
            }
        }
        return nil
    }

    /// Whether the object has a member named `key`.
    public func contains(key: String) -> Bool {
        lastIndex(forKey: key) != nil
    }

    /// The value of the last member named `key`. Setting a value replaces the last occurrence in place (or appends a
    /// new member); setting `nil` removes every occurrence.
    public subscript(key: String) -> JSON? {
        get {
            guard let position = lastIndex(forKey: key) else { return nil }
            return members[position].value
        }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// The value of `key`, or `defaultValue` when absent.
    public subscript(key: String, default defaultValue: @autoclosure () -> JSON) -> JSON {
        self[key] ?? defaultValue()
    }

    // MARK: Mutation

    /// Appends a member even if `key` already occurs; the new member then shadows the earlier one and
    /// `hasDuplicateKeys` becomes `true`.
    public mutating func append(key: String, value: JSON) {
        append(key: key, value: value, isDuplicate: contains(key: key))
    }

    /// Appends a member; `isDuplicate` is whether `key` already occurs, or `nil` when the caller did not check.
    mutating func append(key: String, value: JSON, isDuplicate: Bool?) {
        switch isDuplicate ?? (isIndexed ? index[key] != nil : nil) {
        case true?:
            duplicates = .present
        case false?:
            break
        case nil:
            if duplicates == .absent, !members.isEmpty {
                duplicates = .unknown
            }
        }
        members.append((key: key, value: value))
        if isIndexed {
            index[key] = members.count - 1
        } else if members.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    /// Replaces the value of the last occurrence of `key`, or appends a new member. Returns the previous value.
    @discardableResult
    public mutating func updateValue(_ value: JSON, forKey key: String) -> JSON? {
        if let position = lastIndex(forKey: key) {
            let old = members[position].value
            members[position].value = value
            return old
        }
        append(key: key, value: value, isDuplicate: false)
        return nil
    }

    /// Removes every occurrence of `key`. Returns the value that lookup returned before the removal.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        guard let position = lastIndex(forKey: key) else { return nil }
        let old = members[position].value
        members.removeAll { $0.key == key }
        refreshAfterRemoval()
        return old
    }

    /// Removes every member.
    public mutating func removeAll(keepingCapacity: Bool = false) {
        members.removeAll(keepingCapacity: keepingCapacity)
        index = .init()
        isIndexed = false
        duplicates = .absent
    }

    private mutating func refreshAfterRemoval() {
        if members.count > Self.indexThreshold {
            rebuildIndex()
        } else {
            index = .init()
            isIndexed = false
        }
        if duplicates != .absent {
            duplicates = uniqueKeyCount != members.count ? .present : .absent
        }
    }

    private mutating func rebuildIndex() {
        var newIndex = [String: Int](minimumCapacity: members.count * 2)
        for (position, member) in members.enumerated() {
            newIndex[member.key] = position
        }
        index = newIndex
        isIndexed = true
        if duplicates == .unknown {
            duplicates = newIndex.count != members.count ? .present : .absent
        }
    }

    // MARK: Equality

    /// Number of distinct keys.
    var uniqueKeyCount: Int {
        if duplicates == .absent {
            return members.count
        }
        if isIndexed {
            return index.count
        }
        var seen = Set<String>(minimumCapacity: members.count)
        for member in members {
            seen.insert(member.key)
        }
        return seen.count
    }

    /// Calls `body` with each effective member (the last occurrence of every key), in stored order.
    func forEachEffectiveMember(_ body: (String, JSON) throws -> Void) rethrows {
        if duplicates == .absent {
            for member in members {
                try body(member.key, member.value)
            }
            return
        }
        for (position, member) in members.enumerated() where lastIndex(forKey: member.key) == position {
            try body(member.key, member.value)
        }
    }

    /// JSON equality: same keys, equal values, order and shadowed duplicates ignored.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.uniqueKeyCount == rhs.uniqueKeyCount else { return false }
        var equal = true
        lhs.forEachEffectiveMember { key, value in
            if equal, rhs[key] != value {
                equal = false
            }
        }
        return equal
    }

    /// Order-independent hash consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        var count = 0
        forEachEffectiveMember { key, value in
            var memberHasher = Hasher()
            memberHasher.combine(key)
            memberHasher.combine(value)
            combined &+= memberHasher.finalize()
            count += 1
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}
