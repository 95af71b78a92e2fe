import Glibc

/// A libevent or socket call that failed: which operation, and errno when the call set it.
public struct LibeventError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var code: Int32

    public init(operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        code == 0 ? "\(operation) failed" : "\(operation) failed: \(String(cString: strerror(code)))"
    }

    /// The one place return codes become errors: a negative result throws.
    @discardableResult
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(LibeventError) -> Int32 {
        if result < 0 { throw LibeventError(operation: operation()) }
        return result
    }

    /// A NULL result throws; anything else is returned unwrapped.
    static func check<T>(_ result: T?, _ operation: @autoclosure () -> String) throws(LibeventError) -> T {
        guard let result else { throw LibeventError(operation: operation()) }
        return result
    }
}
