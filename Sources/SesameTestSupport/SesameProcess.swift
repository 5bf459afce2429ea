import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import Synchronization

/// The built `sesame` executable, run as a child process for black-box tests.
///
/// Spawned with `posix_spawn`, not Foundation's `Process`: in Swift 6.3.1 on Linux, `Process.run()`
/// intermittently crashes the whole test run (an over-read while it closes inherited file
/// descriptors, swift-corelibs-foundation #5472). The pipes are created close-on-exec, so the
/// child inherits only its three standard streams.
public final class SesameProcess: Sendable {
    private let pid: pid_t
    private let output: Mutex<[UInt8]>
    private let errorOutput: Mutex<[UInt8]>
    /// The raw `waitpid` status once the child was reaped.
    private let reaped = Mutex<Int32?>(nil)

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
        let path = try executable().path
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SESAME_") }
        env["SESAME_BCRYPT_COST"] = "4"
        for (k, v) in environment { env[k] = v }

        var input: [Int32] = [-1, -1]
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard pipe(&input) == 0, pipe(&out) == 0, pipe(&err) == 0 else {
            throw ProcessError(message: "pipe failed: errno \(errno)")
        }
        for fd in input + out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        // The child's ends are the child's now.
        close(input[0])
        close(out[1])
        close(err[1])
        guard spawned == 0 else {
            [input[1], out[0], err[0]].forEach { close($0) }
            throw ProcessError(message: "posix_spawn \(path) failed: \(spawned)")
        }

        let me = SesameProcess(pid: pid)
        // One plain thread per stream, blocking in read(2) until end of file, then closing its
        // descriptor itself: no dispatch sources, whose cancellation racing a close crashed
        // test runs (signal 11 in libdispatch's manager thread).
        Self.drain(out[0]) { bytes in me.output.withLock { $0 += bytes } }
        Self.drain(err[0]) { bytes in me.errorOutput.withLock { $0 += bytes } }
        let writer = FileHandle(fileDescriptor: input[1], closeOnDealloc: true)
        if let stdin { writer.write(Data(stdin.utf8)) }
        try? writer.close()
        return me
    }

    private init(pid: pid_t) {
        self.pid = pid
        self.output = Mutex([])
        self.errorOutput = Mutex([])
    }

    /// Reads `fd` to its end on a thread of its own, handing each chunk to `append`, then closes it.
    private static func drain(_ fd: Int32, _ append: @escaping @Sendable ([UInt8]) -> Void) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    append(Array(buffer[0..<n]))
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(fd)
        }
        thread.start()
    }

    public var stdout: String { output.withLock { String(decoding: $0, as: UTF8.self) } }
    public var stderr: String { errorOutput.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Reaps the child if it ended; its raw wait status then.
    private func poll() -> Int32? {
        reaped.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            return status
        }
    }

    /// Whether the child is still running.
    public var isRunning: Bool { poll() == nil }

    /// Waits until standard output has a line containing `needle`, and returns that line.
    public func waitForLine(containing needle: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            guard isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessError(message: "no line containing '\(needle)'; stdout: \(stdout); stderr: \(stderr)")
    }

    /// Sends `signal` (SIGTERM, SIGKILL, ...), unless the child was already reaped.
    public func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// Waits for the process to end and returns its exit status (for a signal, 128 + signal).
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let raw = poll() {
                // Let the pipes drain.
                try await Task.sleep(for: .milliseconds(50))
                let signal = raw & 0x7f
                return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            }
            guard ContinuousClock.now < deadline else {
                send(SIGKILL)
                throw ProcessError(message: "the process did not exit in time; stderr: \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether the process ended because of a signal.
    public var wasKilledBySignal: Bool {
        guard let raw = poll() else { return false }
        return raw & 0x7f != 0 && raw & 0x7f != 0x7f
    }

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
