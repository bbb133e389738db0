#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
#if FUZZING
internal import CFuzzer
#endif

/// What every fuzz target shares: invariant checks that libFuzzer records as crashes, splitting one input into
/// fields, and the regression runner that a plain build makes of each target.
public enum Fuzz {
    /// Stops the run when `condition` does not hold: libFuzzer saves the input as a crash, the regression runner
    /// exits non-zero. Use it for every invariant beyond "no crash".
    public static func check(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
        line: UInt = #line
    ) {
        if !condition() {
            fatalError("fuzz invariant violated: \(message()) [input: \(currentFile ?? "from libFuzzer")]", file: file, line: line)
        }
    }

    /// The input as `count` fields separated by line feeds: the last field is everything after the `count - 1`th
    /// line feed (line feeds included); missing fields are empty.
    public static func fields(_ input: [UInt8], count: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var rest = input[...]
        while out.count < count - 1, let newline = rest.firstIndex(of: 0x0A) {
            out.append(Array(rest[..<newline]))
            rest = rest[(newline + 1)...]
        }
        out.append(Array(rest))
        while out.count < count { out.append([]) }
        return out
    }

    /// A fuzz target's entry point. Built with `-sanitize=fuzzer -D FUZZING`, it hands the command line to
    /// libFuzzer's driver, which calls `body` with each input it makes; in a plain build it is the regression runner
    /// (`runFiles`).
    public static func main(_ body: @escaping ([UInt8]) -> Void) -> Never {
        #if FUZZING
        target = body
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let data, size > 0 else {
                Fuzz.target?([])
                return 0
            }
            Fuzz.target?(Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        })
        #else
        runFiles(body)
        #endif
    }

    /// The target's body, for the C callback (which cannot capture it).
    nonisolated(unsafe) private static var target: (([UInt8]) -> Void)?

    /// The regression runner (`fuzz-<target> PATH…`): runs every file given, and every file in a directory given
    /// (sorted, hidden files skipped), through `body` once. Exits 0 when all ran, 2 for a path it cannot read; an
    /// invariant failure or a crash stops the process as it would under libFuzzer. `FUZZ_VERBOSE` names each file
    /// before it runs; `FUZZ_SELFTEST` fails an invariant after the last one.
    public static func runFiles(_ body: ([UInt8]) -> Void) -> Never {
        let arguments = CommandLine.arguments.dropFirst()
        guard !arguments.isEmpty else {
            printError("usage: \(CommandLine.arguments.first ?? "fuzz-target") FILE_OR_DIRECTORY…")
            exit(2)
        }
        var files: [String] = []
        for argument in arguments {
            guard let found = filesUnder(argument) else {
                printError("cannot read \(argument)")
                exit(2)
            }
            files += found
        }
        for file in files {
            guard let input = readFile(file) else {
                printError("cannot read \(file)")
                exit(2)
            }
            if getenv("FUZZ_VERBOSE") != nil { printError("Running: \(file)") }
            currentFile = file
            body(input)
        }
        print("Executed \(files.count) inputs without a crash")
        // Proof for the tests that a violated invariant stops the runner with a failure.
        currentFile = nil
        if getenv("FUZZ_SELFTEST") != nil { check(false, "self test (FUZZ_SELFTEST is set)") }
        exit(0)
    }

    /// The file being run by `runFiles` (named when an invariant fails).
    nonisolated(unsafe) private static var currentFile: String?

    private static func printError(_ text: String) {
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
    }

    /// `path` itself when it is a regular file, or the regular files below it when it is a directory.
    private static func filesUnder(_ path: String) -> [String]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT != S_IFDIR { return [path] }
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.utf8.first == UInt8(ascii: ".") { continue }
            names.append(name)
        }
        var files: [String] = []
        for name in names.sorted() {
            guard let below = filesUnder(path + "/" + name) else { return nil }
            files += below
        }
        return files
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    }
}
