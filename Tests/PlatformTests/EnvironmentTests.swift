import Platform
import Testing

/// `Platform.setEnvironment`, as the run loop uses it for `_X_AMZN_TRACE_ID`: a new value every invocation, read back
/// exactly, without the heap growing per value (glibc's `setenv` keeps every value it ever set).
@Suite(.serialized) struct EnvironmentTests {
    /// A value of about a trace id's length, different for every `n`.
    static func traceID(_ n: Int) -> String {
        "Root=1-6b1468e0-\(String(n, radix: 16));Parent=490ea0cac598f55f;Sampled=0;Lineage=1:afd9187b:\(n)"
    }

    @Test func setsReplacesAndRemoves() {
        let name = "WARDEN_PLATFORM_TEST_A"
        #expect(Platform.environment(name) == nil)
        Platform.setEnvironment(name, "first")
        #expect(Platform.environment(name) == "first")
        // Longer than the buffer the first value got, then shorter again, then empty.
        let long = String(repeating: "x", count: 1000)
        Platform.setEnvironment(name, long)
        #expect(Platform.environment(name) == long)
        Platform.setEnvironment(name, "short")
        #expect(Platform.environment(name) == "short")
        Platform.setEnvironment(name, "")
        #expect(Platform.environment(name) == "")
        Platform.setEnvironment(name, nil)
        #expect(Platform.environment(name) == nil)
        Platform.setEnvironment(name, "again")
        #expect(Platform.environment(name) == "again")
        Platform.setEnvironment(name, nil)
        #expect(Platform.environment(name) == nil)
    }

    @Test func variablesKeepTheirOwnValues() {
        let names = (0..<6).map { "WARDEN_PLATFORM_TEST_B\($0)" }  // more than the variables given a buffer of their own
        for round in 0..<3 {
            for (i, name) in names.enumerated() { Platform.setEnvironment(name, "\(name)=\(round)-\(i)") }
            for (i, name) in names.enumerated() { #expect(Platform.environment(name) == "\(name)=\(round)-\(i)") }
        }
        for name in names { Platform.setEnvironment(name, nil) }
        for name in names { #expect(Platform.environment(name) == nil) }
    }

    /// 50,000 distinct values (about 8 MB of heap kept with glibc's `setenv`) leave the heap where it was, give or take
    /// what other suites running at the same time allocate: the best of three rounds must stay under 1 MiB.
    @Test func aNewValuePerInvocationDoesNotGrowTheHeap() {
        let name = "WARDEN_PLATFORM_TEST_C"
        Platform.setEnvironment(name, Self.traceID(0))
        var growth = Int.max
        for round in 0..<3 {
            let before = Platform.heapBytesInUse
            for n in 1...50_000 {
                let value = Self.traceID(round * 50_000 + n)
                Platform.setEnvironment(name, value)
                if n % 10_000 == 0 { #expect(Platform.environment(name) == value) }
            }
            growth = min(growth, Platform.heapBytesInUse - before)
        }
        #expect(growth < 1 << 20, "heap grew by \(growth) bytes")
        Platform.setEnvironment(name, nil)
    }
}
