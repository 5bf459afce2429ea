import SesameCore
import SesameHTTP
import Logging
import SesameServer
import Testing

@Suite struct ServerSettingsTests {
    @Test func defaults() throws {
        let s = try ServerSettings.fromEnvironment([:])
        #expect(s.host == "127.0.0.1" && s.port == 8080)
        #expect(s.database == .sqlite(path: "./sesame-data/sesame.sqlite"))
        #expect(s.issuer == "http://127.0.0.1:8080")
        #expect(s.limits.maxBodyBytes == 65_536 && s.idleTimeoutSeconds == 60 && s.sweepInterval == 3_600)
        #expect(s.memoryTrimInterval == 60)
    }

    @Test func environmentOverrides() throws {
        let s = try ServerSettings.fromEnvironment([
            "SESAME_DATABASE_URL": "sqlite:/var/lib/sesame/db.sqlite", "SESAME_HOST": "::1", "SESAME_PORT": "9000",
            "SESAME_MAX_BODY_BYTES": "2048", "SESAME_IDLE_TIMEOUT": "5", "SESAME_SWEEP_INTERVAL": "0",
            "SESAME_SWEEP_RETENTION": "10", "SESAME_LOG_LEVEL": "DEBUG", "SESAME_REFRESH_GRACE": "3",
            "SESAME_MEMORY_TRIM_INTERVAL": "0",
        ])
        #expect(s.memoryTrimInterval == 0)
        #expect(s.database == .sqlite(path: "/var/lib/sesame/db.sqlite"))
        #expect(s.issuer == "http://[::1]:9000")
        #expect(s.limits.maxBodyBytes == 2_048 && s.idleTimeoutSeconds == 5 && s.sweepInterval == 0 && s.sweepRetention == 10)
        #expect(s.logLevel == .debug && s.core.refreshGrace == 3)
    }

    @Test(arguments: [
        ("SESAME_PORT", "70000"), ("SESAME_PORT", "x"), ("SESAME_MAX_BODY_BYTES", "10"), ("SESAME_IDLE_TIMEOUT", "0"),
        ("SESAME_SWEEP_INTERVAL", "-1"), ("SESAME_MEMORY_TRIM_INTERVAL", "x"), ("SESAME_LOG_LEVEL", "loud"), ("SESAME_DATABASE_URL", "mysql://x"),
    ])
    func invalidValuesNameTheVariable(key: String, value: String) {
        #expect {
            _ = try ServerSettings.fromEnvironment([key: value])
        } throws: { error in
            let e = error as? SesameError
            return e?.code == .invalidInput && (e?.message.contains(key) == true || key == "SESAME_DATABASE_URL")
        }
    }

    @Test(arguments: [
        ("sqlite:./a.sqlite", "sqlite:./a.sqlite"),
        ("postgres://sesame:s3cret@db:5432/sesame", "postgres://sesame:****@db:5432/sesame"),
    ])
    func databaseURLsNeverShowPasswords(url: String, shown: String) throws {
        #expect(try DatabaseURL(parsing: url).description == shown)
    }
}
