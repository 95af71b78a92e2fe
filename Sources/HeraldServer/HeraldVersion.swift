/// Herald's version, in one place: `herald --version` prints it, and anything else that reports
/// the build (metrics, logs) reads it from here. Raised by hand with each release.
public enum HeraldVersion {
    public static let number = "0.1.0"
}
