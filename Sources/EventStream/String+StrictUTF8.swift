extension String {
    /// The text `bytes` encode, or nil when they are not well-formed UTF-8 (overlong forms,
    /// surrogates and truncated sequences included).
    init?(strictUTF8 bytes: some Collection<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces each ill-formed sequence with U+FFFD, so the bytes differ exactly when
        // the input was not well-formed.
        guard text.utf8.elementsEqual(bytes) else { return nil }
        self = text
    }
}
