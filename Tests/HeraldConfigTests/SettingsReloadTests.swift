import Testing
@testable import HeraldConfig

@Suite struct SettingsReloadTests {
    @Test func theSameSettingsChangeNothing() {
        let reload = SettingsReload(from: HeraldSettings(), to: HeraldSettings())
        #expect(reload.isEmpty)
        #expect(reload.changedSections.isEmpty)
        #expect(!reload.movesPublicListener && !reload.movesPublishListener)
    }

    @Test func changedSectionsAreNamedInFileOrder() throws {
        var new = HeraldSettings()
        new.log.access = .json
        new.upstream.url = try UpstreamURL(parsing: "http://127.0.0.1:4000")
        new.events.historySize = 10
        let reload = SettingsReload(from: HeraldSettings(), to: new)
        #expect(reload.changedSections == ["upstream", "events", "log"])
        #expect(reload.effective == new)
        #expect(reload.keptUntilRestart.isEmpty)
    }

    @Test func threadsAndRedisKeepTheirRunningValuesUntilARestart() throws {
        var running = HeraldSettings()
        running.server.threads = 2
        var new = running
        new.server.threads = 4
        new.redis = RedisSettings(urls: [try RedisURL(parsing: "redis://127.0.0.1:6379")])
        new.limits.maxSubscribers = 7
        let reload = SettingsReload(from: running, to: new)
        #expect(reload.keptUntilRestart == ["server.threads", "redis"])
        #expect(reload.effective.server.threads == 2)
        #expect(reload.effective.redis == nil)
        #expect(reload.effective.limits.maxSubscribers == 7)
        #expect(reload.changedSections == ["limits"])
    }

    @Test func movedListenersAreTold() {
        var new = HeraldSettings()
        new.server.listen = ListenAddress(host: "127.0.0.1", port: 9000)
        #expect(SettingsReload(from: HeraldSettings(), to: new).movesPublicListener)
        #expect(!SettingsReload(from: HeraldSettings(), to: new).movesPublishListener)
        new = HeraldSettings()
        new.publish.listen = ListenAddress(host: "127.0.0.1", port: 9001)
        #expect(SettingsReload(from: HeraldSettings(), to: new).movesPublishListener)
        #expect(SettingsReload(from: HeraldSettings(), to: new).changedSections == ["publish"])
    }
}

@Suite struct SocketActivationTests {
    @Test func noVariablesOrAnotherProcesssAreNoSockets() throws {
        #expect(try SocketActivation(environment: [:], pid: 42) == SocketActivation())
        #expect(try SocketActivation(environment: ["LISTEN_PID": "41", "LISTEN_FDS": "2"], pid: 42) == SocketActivation())
    }

    @Test func unnamedSocketsArePublicThenPublish() throws {
        #expect(try SocketActivation(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "2"], pid: 42)
            == SocketActivation(publicDescriptor: 3, publishDescriptor: 4))
        #expect(try SocketActivation(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "1"], pid: 42)
            == SocketActivation(publicDescriptor: 3))
    }

    @Test func namedSocketsAreFoundByName() throws {
        let environment = ["LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "publish:public"]
        #expect(try SocketActivation(environment: environment, pid: 42) == SocketActivation(publicDescriptor: 4, publishDescriptor: 3))
        let one = ["LISTEN_PID": "42", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "publish"]
        #expect(try SocketActivation(environment: one, pid: 42) == SocketActivation(publishDescriptor: 3))
    }

    @Test func systemdsDefaultNamesMeanTheOrderOfTheUnit() throws {
        let environment = ["LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "herald.socket:herald.socket"]
        #expect(try SocketActivation(environment: environment, pid: 42) == SocketActivation(publicDescriptor: 3, publishDescriptor: 4))
    }

    @Test(arguments: [
        ["LISTEN_FDS": "3"], ["LISTEN_FDS": "0"], ["LISTEN_FDS": "two"],
        ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "public"], ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "public:public"],
        ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "public:admin"],
    ])
    func wrongVariablesAreAnErrorNamingTheVariable(variables: [String: String]) {
        let environment = variables.merging(["LISTEN_PID": "42"]) { old, _ in old }
        #expect(throws: ConfigError.self) { try SocketActivation(environment: environment, pid: 42) }
        let error = try? #require(throws: ConfigError.self) { try SocketActivation(environment: environment, pid: 42) }
        let named = variables["LISTEN_FDNAMES"] == nil ? "LISTEN_FDS" : "LISTEN_FDNAMES"
        #expect(error?.problems.first?.hasPrefix(named + ":") == true)
    }
}
