import ArgumentParser
import Foundation
import SesameCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read the audit trail.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit events, newest first: time, kind, uid, session, detail.")
        @Option(help: "At most this many (1 to 100000).") var limit: Int = 50
        @Option(help: "Only events of this uid.") var uid: String?
        @Option(help: "Only events of this kind: \(AuditKind.all.map(\.rawValue).joined(separator: ", ")).")
        var kind: String?
        @Flag(help: "One JSON array of objects (at, time, kind, uid, session_id, detail).") var json = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000") }
            if let kind, !AuditKind.all.contains(AuditKind(rawValue: kind)) {
                throw ValidationError("--kind must be one of \(AuditKind.all.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let query = AuditQuery(limit: limit, uid: uid, kind: kind)
                let events = try await withAdministration(store) { try await $0.store.auditEvents(query) }
                if json {
                    let objects: [[String: Any]] = events.map { e in
                        [
                            "at": e.at, "time": formatTime(e.at), "kind": e.kind, "uid": e.uid ?? NSNull(),
                            "session_id": e.sessionID ?? NSNull(), "detail": e.detail,
                        ]
                    }
                    let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    for e in events {
                        print([formatTime(e.at), e.kind, e.uid ?? "-", e.sessionID ?? "-", e.detail].joined(separator: "\t"))
                    }
                }
            }
        }
    }
}
