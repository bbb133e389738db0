// The only file of the emulator that talks to the C library: posix_spawn, pipes, waitid/wait4, kill and /proc.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A spawned function process in its own process group, with its stdout/stderr forwarded line by line.
///
/// The process is reaped by a dedicated thread which first waits without reaping (`waitid(WNOWAIT)`), kills what is
/// left of the process group while the zombie still pins the group id, then reaps it with `wait4` for the exit status
/// and peak RSS. Signals are only ever sent while the process is known not to be reaped, so a recycled pid is never hit.
final class ChildProcess: Sendable {
    /// The process id, which is also its process-group id.
    let pid: pid_t
    /// The emulator's own VmHWM right after the spawn. posix_spawn uses vfork semantics, so the child's
    /// `ru_maxrss` starts at the parent's high-water mark; a value at or below this one says nothing about the child.
    private let parentPeakKiB: Int
    private let state = Mutex(ChildState())

    private init(pid: pid_t, parentPeakKiB: Int) {
        self.pid = pid
        self.parentPeakKiB = parentPeakKiB
    }

    /// Spawns `executable` with `arguments` (argv[0] is the executable path) and exactly `environment`.
    ///
    /// - Parameters:
    ///   - directory: Working directory of the child, when the C library can set it (glibc ≥ 2.29, macOS).
    ///   - onOutput: Called from a reader thread with each line (including its newline) the child writes to stdout or
    ///     stderr; a last unterminated line gets a newline appended.
    ///   - onExit: Called once from the reaper thread after the child has been reaped and its output drained (or
    ///     after one second, if something else still holds the pipes).
    static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String],
        directory: String?,
        onOutput: @escaping @Sendable ([UInt8]) -> Void,
        onExit: @escaping @Sendable (ChildExit) -> Void
    ) throws(SpawnError) -> ChildProcess {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw SpawnError(path: executable, reason: errnoText(errno)) }
        guard pipe(&errPipe) == 0 else {
            let code = errno
            close(outPipe[0])
            close(outPipe[1])
            throw SpawnError(path: executable, reason: errnoText(code))
        }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }

        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let directory { addChdir(&actions, directory) }

        // Own process group (so the whole tree can be signalled), default dispositions for every catchable signal
        // (ignored signals survive exec, and the emulator ignores SIGPIPE/SIGTERM/SIGINT), empty signal mask.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in Int32(1)..<Int32(32) where signal != SIGKILL && signal != SIGSTOP { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(path: executable, reason: errnoText(rc))
        }

        let child = ChildProcess(pid: pid, parentPeakKiB: readPeakKiB(path: "/proc/self/status") ?? 0)
        child.state.withLock { $0.outputFDs = [outPipe[0], errPipe[0]] }
        let drained = DispatchGroup()
        for fd in [outPipe[0], errPipe[0]] {
            drained.enter()
            let reader = Thread {
                child.forwardLines(from: fd, to: onOutput)
                child.closeOutput(fd)
                drained.leave()
            }
            reader.name = "emulator-output-\(pid)"
            reader.start()
        }
        let reaper = Thread {
            let exit = child.waitAndReap()
            _ = drained.wait(timeout: .now() + 1)
            onExit(exit)
        }
        reaper.name = "emulator-reaper-\(pid)"
        reaper.start()
        return child
    }

    /// Sends `signal` to the whole process group, unless the process has already been reaped.
    func signal(_ signal: Int32) {
        state.withLock { state in
            if !state.reaped { _ = kill(-pid, signal) }
        }
    }

    /// The peak resident set size so far (`VmHWM` from `/proc/<pid>/status`), in KiB, or nil once reaped or off Linux.
    /// Each reading is remembered as the fallback for the exit report.
    func peakRSSKiB() -> Int? {
        state.withLock { state -> Int? in
            guard !state.reaped, let peak = readPeakKiB(path: "/proc/\(pid)/status") else { return nil }
            state.sampledPeakKiB = max(state.sampledPeakKiB, peak)
            return peak
        }
    }

    /// Whether everything the process has written to stdout/stderr so far has been handed to `onOutput` (up to a
    /// last line without its newline): nothing unread in the pipes, no chunk being split into lines.
    func outputDrained() -> Bool {
        state.withLock { state in
            for fd in state.outputFDs {
                var unread: Int32 = 0
                if ioctl(fd, UInt(FIONREAD), &unread) == 0, unread > 0 { return false }
            }
            return state.outputBytesRead == state.outputBytesForwarded
        }
    }

    private func closeOutput(_ fd: Int32) {
        state.withLock { state in
            state.outputFDs.removeAll { $0 == fd }
            close(fd)
        }
    }

    /// Reads `fd` until end of file and hands every line (with its newline) to `onLine`; very long lines are split.
    private func forwardLines(from fd: Int32, to onLine: @Sendable ([UInt8]) -> Void) {
        let maximumLine = 256 * 1024
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var pending: [UInt8] = []
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                break
            }
            if count == 0 { break }
            state.withLock { $0.outputBytesRead += count }
            var start = 0
            for index in 0..<count where chunk[index] == 0x0A {
                pending.append(contentsOf: chunk[start...index])
                onLine(pending)
                pending.removeAll(keepingCapacity: true)
                start = index + 1
            }
            if start < count { pending.append(contentsOf: chunk[start..<count]) }
            if pending.count >= maximumLine {
                pending.append(0x0A)
                onLine(pending)
                pending.removeAll(keepingCapacity: true)
            }
            state.withLock { $0.outputBytesForwarded += count }
        }
        if !pending.isEmpty {
            pending.append(0x0A)
            onLine(pending)
        }
    }

    /// Blocks until the child exits, kills the rest of its process group, reaps it and returns what happened.
    private func waitAndReap() -> ChildExit {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        return state.withLock { state in
            // The zombie still holds the group id, so this cannot reach an unrelated group.
            _ = kill(-pid, SIGKILL)
            var status: Int32 = 0
            var usage = rusage()
            var result: pid_t
            repeat {
                result = wait4(pid, &status, 0, &usage)
            } while result < 0 && errno == EINTR
            state.reaped = true
            #if os(Linux)
            let reported = Int(usage.ru_maxrss)
            #else
            let reported = Int(usage.ru_maxrss) / 1024
            #endif
            let maxRSSKiB = reported > parentPeakKiB ? reported : state.sampledPeakKiB
            return ChildExit(status: ExitStatus(waitStatus: status), maxRSSKiB: maxRSSKiB)
        }
    }
}

#if os(Linux)
private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

/// `posix_spawn_file_actions_addchdir_np` is a GNU extension the Glibc module does not import; look it up at run time.
private func addChdir(_ actions: inout posix_spawn_file_actions_t, _ directory: String) {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return }
    let function = unsafeBitCast(symbol, to: AddChdir.self)
    _ = function(&actions, directory)
}
#else
private func addChdir(_ actions: inout posix_spawn_file_actions_t?, _ directory: String) {
    _ = posix_spawn_file_actions_addchdir_np(&actions, directory)
}
#endif

/// `VmHWM` in KiB from a `/proc/<pid>/status` file.
private func readPeakKiB(path: String) -> Int? {
    guard let status = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.dropFirst("VmHWM:".count).filter { $0.isNumber })
    }
    return nil
}

/// `strerror` text with a lowercase first letter, as Go's errors read ("permission denied").
private func errnoText(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return text.prefix(1).lowercased() + text.dropFirst()
}
