import HTTP1
import LibeventIO

/// A response body is read from a connection's input (`BodyReader.read(from:data:)`).
extension Connection: BodySource {}
