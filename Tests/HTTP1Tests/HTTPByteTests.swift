import Testing
@testable import HTTP1

@Suite struct HTTPByteTests {
    @Test func theTokenMasksMatchRFC9110Tchar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPByte.isToken(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    @Test func fieldContentIsVisibleBytesObsTextSpaceAndTab() {
        for byte in UInt8.min...UInt8.max {
            let expected = byte == 0x09 || byte == 0x20 || (0x21...0x7E).contains(byte) || byte >= 0x80
            #expect(HTTPByte.isFieldContent(byte) == expected, "byte \(byte)")
            #expect(HTTPByte.isTargetByte(byte) == (expected && byte != 0x09 && byte != 0x20), "byte \(byte)")
        }
    }

    @Test func hexValuesCoverBothCases() {
        let digits = Array("0123456789abcdef".utf8)
        for byte in UInt8.min...UInt8.max {
            let lower = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
            #expect(HTTPByte.hexValue(byte) == digits.firstIndex(of: lower).map(UInt8.init), "byte \(byte)")
        }
    }
}

@Suite struct HTTPParseErrorTests {
    @Test(arguments: [
        (HTTPParseError.Kind.malformed, 400), (.startLineTooLong, 414), (.headTooLarge, 431),
        (.bodyTooLarge, 413), (.versionNotSupported, 505), (.notImplemented, 501),
    ])
    func eachKindMapsToItsStatus(kind: HTTPParseError.Kind, status: Int) {
        #expect(HTTPParseError(kind, "reason").status == status)
    }
}
