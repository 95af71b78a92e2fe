/// Header fields in the order they were received; lookups ignore ASCII case.
///
/// Every field's name and value are ranges of one byte array, `storage`: a parsed head's is one
/// copy of the head, and a field appended adds its bytes at the end. So parsing a head fills two
/// arrays (that copy and the list of ranges) whatever its number of fields, allocated or reused
/// from a `HeadBufferPool`, and copying, dropping or forwarding the fields touches two reference
/// counts, not one per field. A field
/// read by position (`self[index]`, a for-in) is an `HTTPField` sharing the bytes; the hot paths
/// ask by index instead (`known(at:)`, `withBytes(at:)`), which makes no field at all.
public struct HTTPFields: Sendable, Equatable, RandomAccessCollection {
    /// Where one field lies in `storage`.
    struct Line: Sendable {
        var name: Range<Int32>
        var value: Range<Int32>
        var known: KnownFieldName
        /// The line was received as `serialized()` writes it, `name: value` CRLF, and lies whole
        /// in `storage`: forwarding it unchanged can copy the line as it is.
        var isCanonical = false
    }

    /// What the lines' names say, kept with the lines: most lookups by known name learn here,
    /// without a pass over the lines, that there is none, and a message's keep-alive and
    /// hop-by-hop questions are bit tests.
    struct NameSummary: Sendable {
        /// The known names the lines have, as bits (`KnownFieldName.bit`).
        var present: UInt32 = 0
        /// The names the Connection fields list, as bits of the known ones.
        var connectionOptions: UInt32 = 0
        /// A Connection field lists a name Herald does not know, or is not ASCII: only reading
        /// the values answers (`connectionOptions` may then miss some of the known names).
        var connectionListsOthers = false

        /// Adds a line named `known` whose value is `value`.
        @inline(__always)
        mutating func note(_ known: KnownFieldName, value: UnsafeBufferPointer<UInt8>) {
            present |= known.bit
            if known == .connection { noteConnectionOptions(value) }
        }

        /// The known names a Connection value lists, and whether it lists others or is not ASCII.
        /// Elements split and trimmed as `tokens` does.
        private mutating func noteConnectionOptions(_ value: UnsafeBufferPointer<UInt8>) {
            var start = 0
            while start < value.count {
                var end = start
                while end < value.count && value[end] != HTTPByte.comma {
                    if value[end] >= 0x80 {
                        connectionListsOthers = true
                        return
                    }
                    end += 1
                }
                let element = value.trimmingWhitespace(start..<end)
                if !element.isEmpty {
                    let name = KnownFieldName(UnsafeBufferPointer(rebasing: value[element]))
                    if name == .other {
                        connectionListsOthers = true
                        return
                    }
                    connectionOptions |= name.bit
                }
                start = end + 1
            }
        }
    }

    private var storage: [UInt8]
    private var lines: [Line]
    private var names = NameSummary()

    var connectionOptions: UInt32 { names.connectionOptions }
    var connectionListsOthers: Bool { names.connectionListsOthers }

    public init(_ fields: [HTTPField] = []) {
        storage = []
        lines = []
        for field in fields { append(field) }
    }

    /// Parsed fields: each of `lines` is a range of `storage`, the head's bytes; `names` as the
    /// parser noted them line by line.
    init(storage: [UInt8], lines: [Line], names: NameSummary) {
        self.storage = storage
        self.lines = lines
        self.names = names
    }

    /// Notes the names again from the lines (after some were removed).
    private mutating func noteNames() {
        var names = NameSummary()
        for index in lines.indices {
            withBytes(at: index) { _, value in names.note(lines[index].known, value: value) }
        }
        self.names = names
    }

    /// True when a Connection field lists `option` (spelled `spelling`, lowercase), ASCII case ignored.
    func connectionLists(_ option: KnownFieldName, spelled spelling: StaticString) -> Bool {
        guard names.connectionListsOthers else { return names.connectionOptions & option.bit != 0 }
        return listContains(.connection, spelling)
    }

    /// Moves the arrays to `pool`, for a head parsed later to reuse; these fields are left empty.
    mutating func moveArrays(into pool: inout HeadBufferPool) {
        var bytes: [UInt8] = []
        var lines: [Line] = []
        swap(&bytes, &storage)
        swap(&lines, &self.lines)
        names = NameSummary()
        pool.keep(bytes: bytes, lines: lines)
    }

    /// Gives `pool` the arrays, which these fields go on sharing until they are gone.
    func shareArrays(with pool: inout HeadBufferPool) {
        pool.keep(bytes: storage, lines: lines)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { lines.count }
    public var count: Int { lines.count }

    /// The field at `index`, sharing the head's bytes.
    public subscript(index: Int) -> HTTPField { HTTPField(storage: storage, lines[index]) }

    /// The fields as an array (each shares the bytes); setting it replaces them all.
    public var fields: [HTTPField] {
        get { indices.map { self[$0] } }
        set { self = HTTPFields(newValue) }
    }

    /// The known name of the field at `index`.
    public func known(at index: Int) -> KnownFieldName { lines[index].known }

    /// The value of the field at `index`, sharing the head's storage (no copy).
    public func bytes(at index: Int) -> ArraySlice<UInt8> {
        let value = lines[index].value
        return storage[Int(value.lowerBound)..<Int(value.upperBound)]
    }

    /// Calls `body` with the name's and the value's bytes of the field at `index`.
    @inline(__always)
    func withBytes<Result, Failure: Error>(
        at index: Int, _ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let line = lines[index]
        return try storage.withUnsafeBufferPointer { all throws(Failure) in
            try body(UnsafeBufferPointer(rebasing: all[Int(line.name.lowerBound)..<Int(line.name.upperBound)]),
                 UnsafeBufferPointer(rebasing: all[Int(line.value.lowerBound)..<Int(line.value.upperBound)]))
        }
    }

    /// How many bytes the storage holds (every name and value lies in it).
    var storageCount: Int { storage.count }

    /// How many bytes the name and the value of the field at `index` have together.
    func byteCount(at index: Int) -> Int { lines[index].name.count + lines[index].value.count }

    /// The bytes of the lines at `range`, when each is canonical and each follows the one before in
    /// the storage: then forwarding them is one copy. Nil otherwise.
    func withCanonicalLines<Result>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        guard let first = range.first else { return nil }
        var end = Int(lines[first].name.lowerBound)
        let start = end
        for index in range {
            let line = lines[index]
            guard line.isCanonical, Int(line.name.lowerBound) == end else { return nil }
            end = Int(line.value.upperBound) + 2
        }
        return storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// True when the name of the field at `index` matches `lowercasedName` ignoring ASCII case.
    func hasName(at index: Int, _ lowercasedName: String) -> Bool {
        withBytes(at: index) { name, _ in nameEquals(name, lowercasedName) }
    }

    /// The first value of the field named `name` (any case), if present.
    public func first(_ name: String) -> [UInt8]? {
        firstBytes(name).map(Array.init)
    }

    /// The first value of `name`, sharing the head's storage (no copy).
    public func firstBytes(_ name: String) -> ArraySlice<UInt8>? {
        let lower = lowercasedName(name)
        for index in indices where hasName(at: index, lower) { return bytes(at: index) }
        return nil
    }

    /// The first value of the field `name`, sharing the head's storage (no copy).
    public func firstBytes(_ name: KnownFieldName) -> ArraySlice<UInt8>? {
        guard contains(name) else { return nil }
        for index in indices where lines[index].known == name { return bytes(at: index) }
        return nil
    }

    /// The length of the first value of the field `name`, if present.
    public func firstCount(_ name: KnownFieldName) -> Int? {
        guard contains(name) else { return nil }
        for index in indices where lines[index].known == name { return lines[index].value.count }
        return nil
    }

    /// True when a field has the known name `name` (for `.other`: a name Herald does not know).
    public func contains(_ name: KnownFieldName) -> Bool {
        names.present & name.bit != 0
    }

    /// True when a field has one of the known names `names` stands for (`KnownFieldName.bit`s).
    func containsAny(_ names: UInt32) -> Bool {
        self.names.present & names != 0
    }

    /// The first value of `name` as a string.
    public func firstString(_ name: String) -> String? {
        firstBytes(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every value of the field named `name`, in order.
    public func values(_ name: String) -> [[UInt8]] {
        let lower = lowercasedName(name)
        var found: [[UInt8]] = []
        for index in indices where hasName(at: index, lower) { found.append(Array(bytes(at: index))) }
        return found
    }

    /// The comma-separated elements of every `name` field, trimmed and lowercased
    /// (for list headers such as Connection and Transfer-Encoding).
    public func tokens(_ name: String) -> [String] {
        Self.tokens(values(name))
    }

    /// The comma-separated elements of `values`, trimmed, lowercased and non-empty.
    static func tokens(_ values: [[UInt8]]) -> [String] {
        values.flatMap { value in
            String(decoding: value, as: UTF8.self)
                .split(separator: ",")
                .map { $0.trimmingASCIIWhitespace().lowercased() }
                .filter { !$0.isEmpty }
        }
    }

    public func contains(_ name: String) -> Bool {
        let lower = lowercasedName(name)
        return indices.contains { hasName(at: $0, lower) }
    }

    public mutating func append(_ field: HTTPField) {
        field.withBytes { name, value in append(name: name, value: value, known: field.known) }
    }

    public mutating func append(_ name: String, _ value: String) {
        append(HTTPField(name: name, value: value))
    }

    public mutating func append(_ name: String, _ value: [UInt8]) {
        append(HTTPField(name: name, value: value))
    }

    private mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, known: KnownFieldName) {
        let nameStart = Int32(storage.count)
        storage.append(contentsOf: name)
        let valueStart = Int32(storage.count)
        storage.append(contentsOf: value)
        lines.append(Line(name: nameStart..<valueStart, value: valueStart..<Int32(storage.count), known: known))
        names.note(known, value: value)
    }

    /// Removes every field named `name` (any case).
    public mutating func remove(_ name: String) {
        let lower = lowercasedName(name)
        removeLines { fields, index in fields.hasName(at: index, lower) }
    }

    /// Removes every field for which `predicate` is true (their bytes stay in the storage,
    /// which is bounded by the head's size).
    public mutating func removeAll(where predicate: (HTTPField) -> Bool) {
        removeLines { fields, index in predicate(fields[index]) }
    }

    mutating func removeLines(where isRemoved: (HTTPFields, Int) -> Bool) {
        // Most heads lack the field: removing would copy a shared list for nothing.
        guard let first = indices.first(where: { isRemoved(self, $0) }) else { return }
        var kept = Array(lines[..<first])
        for index in first + 1..<lines.count where !isRemoved(self, index) { kept.append(lines[index]) }
        lines = kept
        noteNames()
    }

    /// Fields are equal when they hold equal fields in the same order.
    public static func == (lhs: HTTPFields, rhs: HTTPFields) -> Bool {
        lhs.count == rhs.count && lhs.indices.allSatisfy { lhs[$0] == rhs[$0] }
    }
}
