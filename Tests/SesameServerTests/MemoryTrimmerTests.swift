import Foundation
import SesameServer
import Testing

/// ``MemoryTrimmer`` hands freed heap pages back to the system (glibc).
@Suite struct MemoryTrimmerTests {
    /// Resident pages of this process (`/proc/self/statm`), in bytes.
    static func residentBytes() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return (Int(statm[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/statm"), "needs Linux's /proc"))
    func freedHeapMemoryGoesBackToTheSystem() throws {
        // 64 MiB in small blocks, which malloc serves from its arenas (not mmap), every page
        // written; then all but one block in 64 freed. The survivors pin the arena, so malloc
        // cannot give the memory back by shrinking it: the free pages between them stay
        // resident until a trim.
        let blockSize = 1_024
        let count = 64 * 1_024
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 0xA5, count: blockSize)
            blocks.append(block)
        }
        var kept: [UnsafeMutableRawPointer] = []
        for (i, block) in blocks.enumerated() {
            if i % 64 == 0 { kept.append(block) } else { block.deallocate() }
        }
        defer { for block in kept { block.deallocate() } }
        let before = try Self.residentBytes()
        #expect(MemoryTrimmer.trimOnce())
        let after = try Self.residentBytes()
        // About 63 MiB were free; at least half of it must have left the process.
        #expect(before - after > 32 * 1_024 * 1_024, "resident \(before) -> \(after) bytes")
    }
}
