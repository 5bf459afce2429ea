import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization

/// The built `sesame` executable, run as a child process for black-box tests.
///
/// `@unchecked Sendable`: `Process` is not Sendable, but this type only calls its
/// thread-safe members (`processIdentifier`, `isRunning`, `terminationStatus`) after launch,
/// and the captured output sits behind a `Mutex`.
public final class SesameProcess: @unchecked Sendable {
    private let process: Process
    private let output: Mutex<String>
    private let errorOutput: Mutex<String>

    /// The path of the built `sesame` executable next to the test bundle.
    public static func executable() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sesame"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sesame"),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/sesame"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ProcessError(message: "the sesame executable was not built next to the tests: \(candidates.map(\.path))")
        }
        return found
    }

    public struct ProcessError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The result of a command that ran to its end.
    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `sesame arguments` to its end, feeding `stdin`.
    public static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Outcome {
        let p = try launch(arguments, stdin: stdin, environment: environment)
        let status = try await p.waitForExit(timeout: .seconds(60))
        return Outcome(status: status, stdout: p.stdout, stderr: p.stderr)
    }

    /// Starts `sesame arguments` in the background.
    public static func launch(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> SesameProcess {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SESAME_") }
        env["SESAME_BCRYPT_COST"] = "4"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let me = SesameProcess(process: process)
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { me.output.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { me.errorOutput.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        return me
    }

    private init(process: Process) {
        self.process = process
        self.output = Mutex("")
        self.errorOutput = Mutex("")
    }

    public var stdout: String { output.withLock { $0 } }
    public var stderr: String { errorOutput.withLock { $0 } }

    /// Waits until standard output has a line containing `needle`, and returns that line.
    public func waitForLine(containing needle: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessError(message: "no line containing '\(needle)'; stdout: \(stdout); stderr: \(stderr)")
    }

    /// Sends `signal` (SIGTERM, SIGKILL, ...).
    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end and returns its exit status.
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                send(SIGKILL)
                throw ProcessError(message: "the process did not exit in time; stderr: \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Let the pipes drain.
        try await Task.sleep(for: .milliseconds(50))
        return process.terminationStatus
    }

    /// Whether the process ended because of a signal.
    public var wasKilledBySignal: Bool { process.terminationReason == .uncaughtSignal }

    /// Starts `sesame serve` on a free loopback port and returns it with the port it bound.
    public static func serve(database: String, extra: [String] = [], environment: [String: String] = [:]) async throws -> (SesameProcess, Int) {
        let p = try launch(["serve", "--database", database, "--host", "127.0.0.1", "--port", "0"] + extra, environment: environment)
        let line = try await p.waitForLine(containing: "listening")
        guard let portText = line.split(separator: ":").last, let port = Int(portText.trimmingCharacters(in: .whitespaces)) else {
            throw ProcessError(message: "could not read the port from: \(line)")
        }
        return (p, port)
    }
}

/// A one-connection HTTP client for a live server.
public enum LiveHTTP {
    /// Sends one request to `127.0.0.1:port` and parses the JSON answer.
    public static func send(
        port: Int, _ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]? = nil, headers: HTTPFields = [:]
    ) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            var fields = headers
            var body: ByteBuffer?
            if let form {
                body = FormBody.buffer(form)
                fields[.contentType] = "application/x-www-form-urlencoded"
            }
            return try await client.execute(TestClient.Request(uri, method: method, headers: fields, body: body))
        }
        return (response.status, response.body.map(JSONBody.object) ?? [:])
    }
}
