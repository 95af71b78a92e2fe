/// Which fields of one head are hop-by-hop (RFC 9110 §7.6.1): the fixed names, and every name its
/// Connection fields list. Built once per head, so that testing a field is a bit test for the names
/// Herald knows; it answers as `removeAll(named:orListedIn:)` with those names and "connection".
public struct HopByHopFields {
    private var known = KnownFieldName.hopByHopBits
    /// Listed names Herald does not know (rare: `Connection: x-private`), copied.
    private var others: [ArraySlice<UInt8>] = []
    /// A Connection value is not ASCII: the general test, which splits it by Character, decides.
    private var general: ((HTTPField) -> Bool)?

    init(_ fields: borrowing HTTPFields) {
        guard fields.contains(.connection) else { return }
        guard fields.connectionListsOthers else {
            known |= fields.connectionOptions
            return
        }
        for index in fields.indices where fields.known(at: index) == .connection {
            let isASCII = fields.withBytes(at: index) { _, value in
                guard !value.contains(where: { $0 >= 0x80 }) else { return false }
                forEachListElement(value) { element in
                    let name = KnownFieldName(UnsafeBufferPointer(rebasing: element))
                    if name != .other { known |= name.bit } else { others.append(ArraySlice(element)) }
                }
                return true
            }
            if !isASCII {
                general = fields.removalTest(named: KnownFieldName.hopByHopSpellings, orListedIn: "connection")
                return
            }
        }
    }

    /// True when some field of `fields` (this head's) may be hop-by-hop: false tells, without a
    /// pass over them, that none is.
    public func mayContainAny(of fields: HTTPFields) -> Bool {
        general != nil || !others.isEmpty || fields.containsAny(known)
    }

    /// True when the field at `index` of `fields` is hop-by-hop in this head; from a loop over a
    /// head's fields, this copies no field.
    public func contains(at index: Int, of fields: HTTPFields) -> Bool {
        answer(forKnown: fields.known(at: index)) ?? contains(fields[index])
    }

    /// True when `field` is hop-by-hop in this head.
    public func contains(_ field: HTTPField) -> Bool {
        if let general { return general(field) }
        if let answer = answer(forKnown: field.known) { return answer }
        guard field.nameIsASCII else {
            let lower = field.name.lowercased()
            return others.contains { String(decoding: $0, as: UTF8.self).lowercased() == lower }
        }
        return field.nameBytes.withUnsafeBufferPointer { name in
            others.contains { other in other.withUnsafeBufferPointer { elementEqualsIgnoringCase($0[...], name) } }
        }
    }

    /// The answer for a field whose known name is `known`, when that alone gives it (a bit test);
    /// nil when its name must be compared.
    @inline(__always)
    private func answer(forKnown known: KnownFieldName) -> Bool? {
        guard general == nil else { return nil }
        if known != .other { return self.known & known.bit != 0 }
        return others.isEmpty ? false : nil
    }
}
