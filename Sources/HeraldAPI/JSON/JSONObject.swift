/// The members of a JSON object, kept in key order (`String`'s `<`, the order Herald writes them in).
///
/// Not a `Dictionary`, because of how Herald uses objects: they are small (metadata, a status,
/// a condition), read by a few literal keys, written out with sorted keys, parsed back from that
/// same sorted output, and compared whole. A sorted array finds a key with a few string compares
/// instead of hashing it, writes and compares member by member without sorting or hashing, and
/// parses sorted input without any rearranging. A controller profile had about a tenth of its
/// samples in `Dictionary` hashing and key sorting for `JSON`.
///
/// It reads like the `Dictionary` it replaces: `o[key]`, `o[key] = nil`, `keys`, `mapValues`,
/// iteration as `(key, value)` pairs (in key order).
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSON)

    /// Sorted by key, no key twice.
    @usableFromInline var members: [Element]

    @inlinable public init() { members = [] }

    /// Members in any order; of a key given twice, the last value counts (as in a JSON text).
    ///
    /// Inlinable so each caller's sequence is walked by specialized code: unspecialized, the
    /// generic `map` over a lazy sequence was most of the cost of building a Delivery's status
    /// (about 3 % of a busy controller).
    @inlinable
    public init<S: Sequence>(unsorted pairs: S) where S.Element == (String, JSON) {
        var members: [Element] = []
        members.reserveCapacity(pairs.underestimatedCount)
        for (key, value) in pairs { members.append((key: key, value: value)) }
        // Sorted before it is stored: sorting `self.members` while this local still shared its
        // buffer copied the array first, an allocation for every object built from a literal.
        if !Self.isStrictlyAscending(members) { Self.sortKeepingLast(&members) }
        self.members = members
    }

    /// Sorts the members by key; of a key given twice, the last one stays.
    @usableFromInline
    static func sortKeepingLast(_ members: inout [Element]) {
        // Stable, so that among equal keys the last one given stays last.
        members.sort { $0.key < $1.key }
        // Literals are rarely in key order, but almost never repeat a key: keep the sorted array.
        guard zip(members, members.dropFirst()).contains(where: { $0.key == $1.key }) else { return }
        var kept: [Element] = []
        kept.reserveCapacity(members.count)
        for member in members {
            if let last = kept.last, last.key == member.key {
                kept[kept.count - 1] = member
            } else {
                kept.append(member)
            }
        }
        members = kept
    }

    public init(_ dictionary: [String: JSON]) {
        self.init(unsorted: dictionary.lazy.map { ($0.key, $0.value) })
    }

    @usableFromInline
    static func isStrictlyAscending(_ members: [Element]) -> Bool {
        var i = 1
        while i < members.count {
            if !(members[i - 1].key < members[i].key) { return false }
            i += 1
        }
        return true
    }

    /// Where `key` is, or where it would go.
    @inlinable func position(of key: String) -> (index: Int, found: Bool) {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            if members[middle].key < key { low = middle + 1 } else { high = middle }
        }
        return (low, low < members.count && members[low].key == key)
    }

    @inlinable public func index(forKey key: String) -> Int? {
        // Most objects have a handful of members, and most keys are small strings that compare
        // equal or not in one step: a scan beats the search's ordered compares.
        if members.count <= 8 {
            for i in members.indices where members[i].key == key { return i }
            return nil
        }
        let (i, found) = position(of: key)
        return found ? i : nil
    }

    public subscript(key: String) -> JSON? {
        @inlinable get {
            guard let i = index(forKey: key) else { return nil }
            return members[i].value
        }
        set {
            let (i, found) = position(of: key)
            switch (found, newValue) {
            case (true, let value?): members[i].value = value
            case (true, nil): members.remove(at: i)
            case (false, let value?): members.insert((key: key, value: value), at: i)
            case (false, nil): break
            }
        }
        // In place, so nested writes (`o["spec"]?["x"] = y`) do not copy the member.
        _modify {
            let (i, found) = position(of: key)
            if found {
                var value: JSON? = members[i].value
                // Drop the array's reference first, so the yielded value is uniquely owned.
                members[i].value = .null
                defer {
                    if let value { members[i].value = value } else { members.remove(at: i) }
                }
                yield &value
            } else {
                var value: JSON? = nil
                defer { if let value { members.insert((key: key, value: value), at: i) } }
                yield &value
            }
        }
    }

    public var keys: LazyMapCollection<[Element], String> { members.lazy.map(\.key) }
    public var values: LazyMapCollection<[Element], JSON> { members.lazy.map(\.value) }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        let (i, found) = position(of: key)
        return found ? members.remove(at: i).value : nil
    }

    public mutating func reserveCapacity(_ n: Int) { members.reserveCapacity(n) }

    public func mapValues(_ transform: (JSON) throws -> JSON) rethrows -> JSONObject {
        var out = self
        for i in out.members.indices { out.members[i].value = try transform(out.members[i].value) }
        return out
    }

    public func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> JSONObject {
        var out = JSONObject()
        out.members = try members.filter(isIncluded)
        return out
    }

    /// The members as a `Dictionary`, for APIs that take one.
    public var dictionary: [String: JSON] {
        Dictionary(uniqueKeysWithValues: members.lazy.map { ($0.key, $0.value) })
    }
}

extension JSONObject: RandomAccessCollection {
    public typealias Index = Int
    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { members.count }
    @inlinable public subscript(position: Int) -> Element { members[position] }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(unsorted: elements)
    }
}

extension JSONObject: Hashable {
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.members.count == b.members.count else { return false }
        for (x, y) in zip(a.members, b.members) where x.key != y.key || x.value != y.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}

extension JSONObject: CustomStringConvertible {
    public var description: String { JSON.object(self).serializedString() }
}
