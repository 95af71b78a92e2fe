import EventStream

/// SplitMix64: a small, fixed pseudo-random generator, so every generated case is reproducible
/// from its seed alone, on any platform and Swift version.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True once in `n` times.
    mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }
}

/// Makes events whose fields mix what breaks naive encoders: every kind of line break, blank and
/// trailing lines, leading spaces, colons and field-like text, NUL, BOM, Unicode (emoji, ZWJ
/// sequences, combining marks, non-ASCII line separators) and, now and then, a 100 KiB line.
struct EventGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    static let lineBreaks = ["\n", "\r", "\r\n", "\n\n", "\r\r", "\n\r", "\r\n\r\n", "\r\r\n"]

    /// Pieces with no CR, LF or NUL: what an id or an event type may hold.
    static let singleLinePieces = [
        "", " ", "  ", ":", ": ", "::", "data: injected", "id: 0", "event: x", "retry: 1", "a", "42",
        "plain words", "é", "e\u{301}", "a\u{308}\u{323}", "👍🏽", "👨‍👩‍👧", "🇫🇷", "\u{FEFF}", "\t",
        "日本語", "\u{2028}", "\u{2029}", "\u{85}", "\u{7F}", "\u{FFFD}", "𝄞", "%0A", "\\n",
    ]

    /// Any piece at all: what data may hold.
    static let dataPieces = singleLinePieces + lineBreaks + ["\u{0}", "x\u{0}y"]

    /// Channel-name-like overrides (the server's real use of `typeOverride`).
    static let channelNames = ["orders", "a", "user:42", "team/eng-1", "news.sports", "@all", "x_y"]

    mutating func event() -> (event: ServerSentEvent, typeOverride: String?) {
        let id = singleLine(maxPieces: 6)
        let type: String? = switch random.below(10) {
        case 0..<4: nil
        case 4: ""
        default: singleLine(maxPieces: 4)
        }
        let override: String? = switch random.below(4) {
        case 0, 1: nil
        case 2: random.pick(Self.channelNames)
        default: singleLine(maxPieces: 3)
        }
        let retry: Int? =
            random.oneIn(3) ? random.pick([0, 1, 999, 3000, Int.max, random.below(10_000_000)]) : nil
        return (ServerSentEvent(id: id, event: type, data: data(), retry: retry), override)
    }

    mutating func data() -> String {
        var text = ""
        for _ in 0..<random.below(24) {
            switch random.below(20) {
            case 0: text += longLine()
            case 1, 2: text += scalars(count: random.below(40))
            case 3, 4, 5: text += random.pick(Self.lineBreaks)
            default: text += random.pick(Self.dataPieces)
            }
        }
        return text
    }

    mutating func singleLine(maxPieces: Int) -> String {
        var text = ""
        for _ in 0..<random.below(maxPieces + 1) {
            text += random.oneIn(5)
                ? scalars(count: random.below(8), singleLine: true) : random.pick(Self.singleLinePieces)
        }
        return text
    }

    /// Now and then (one call in ten) 100 KiB and more on one line; otherwise a short one.
    private mutating func longLine() -> String {
        guard random.oneIn(10) else { return scalars(count: random.below(200), singleLine: true) }
        let unit = random.pick(["x", "é", "👍🏽", " :", "e\u{301}"])
        return String(repeating: unit, count: 100 * 1024 / unit.utf8.count + random.below(64))
    }

    /// Random Unicode scalars from the planes that matter, never surrogates.
    private mutating func scalars(count: Int, singleLine: Bool = false) -> String {
        var view = String.UnicodeScalarView()
        while view.count < count {
            let value: UInt32 = switch random.below(6) {
            case 0, 1: UInt32(0x20 + random.below(0x5F))       // printable ASCII
            case 2: UInt32(random.below(0x20))                  // controls, CR, LF, NUL among them
            case 3: UInt32(0xA0 + random.below(0x700))          // Latin, Greek, Cyrillic, combining marks
            case 4: UInt32(0x1F300 + random.below(0x300))       // emoji
            default: UInt32(0xE000 + random.below(0x2000))      // private use, specials, U+FFFD
            }
            guard let scalar = Unicode.Scalar(value) else { continue }
            if singleLine, scalar == "\r" || scalar == "\n" || scalar == "\u{0}" { continue }
            view.append(scalar)
        }
        return String(view)
    }
}

/// What a browser turns data into: every CRLF, lone CR and lone LF becomes LF.
func normalizingLineBreaks(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    var previousWasCR = false
    for scalar in text.unicodeScalars {
        if scalar == "\n", previousWasCR {
            previousWasCR = false
            continue
        }
        previousWasCR = scalar == "\r"
        result.append(scalar == "\r" ? "\n" : scalar)
    }
    return String(result)
}
