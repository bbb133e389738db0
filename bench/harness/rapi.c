/*
 * rapi: a minimal, single-connection Lambda Runtime API used by the benchmark to measure ONE function process.
 *
 * It spawns the function itself (so it knows its pid), serves `GET /invocation/next` from a prepared event and
 * accepts `POST /invocation/{id}/response` — each answer is written with a single send(), the same way for every
 * function measured, so the function under test sees identical traffic whatever it is written in.
 *
 *   rapi overhead  --event FILE [--warmup 200] [--count 3000] [--expect TEXT] [--deadline 60] [--log FILE] -- CMD...
 *       FILE holds one event per line, served in order (cyclically when there are fewer lines than invocations):
 *       the functions refuse a replayed signature, so each invocation needs its own signed event.
 *       Serves WARMUP invocations, then reads the function process's CPU clock (clock_getcpuclockid: user +
 *       system time of all its threads, in ns) when GET next number WARMUP+1 arrives and again at number
 *       WARMUP+COUNT+1, i.e. across exactly COUNT complete invocations. Every response body must contain TEXT
 *       (when given), so a function that refuses the request (a cheap 401) cannot pass for a fast one.
 *       /proc/<pid>/stat utime+stime (clock ticks) is read at the same two moments as a cross-check, and
 *       /proc/<pid>/status (VmHWM, RssAnon, RssFile, Threads) once more just before the function is stopped.
 *
 *   rapi coldstart [--runs 25] [--deadline 60] [--log FILE] -- CMD...
 *       For each run: CLOCK_MONOTONIC just before posix_spawn, and again when the child's first
 *       `GET /invocation/next` has been read; prints every sample in microseconds. One extra, unreported start
 *       first warms the page cache. The child is killed (its whole process group) after each sample.
 *
 * The result is one JSON object on standard output. The child's stdout and stderr go to --log (default
 * /dev/null); the child inherits this process's environment plus AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>,
 * and its CPU affinity (run this under `taskset -c 1` to pin both to one CPU). Traffic is loopback only and
 * every wait is bounded by --deadline seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int listen_fd = -1, conn = -1;
static pid_t child = -1;
static uint64_t deadline_ns;
static char *rbuf;
static size_t rlen, rcap = 8 << 20;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void kill_child(void) {
    if (child > 0) {
        kill(-child, SIGKILL);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
}

static void fail(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kill_child();
    printf("{\"ok\":false,\"error\":\"%s\"}\n", msg);
    exit(1);
}

static void open_listener(void) {
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(listen_fd, 16) != 0) fail("bind/listen failed");
    socklen_t len = sizeof a;
    getsockname(listen_fd, (struct sockaddr *)&a, &len);
    char api[64];
    snprintf(api, sizeof api, "127.0.0.1:%d", ntohs(a.sin_port));
    setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
}

static pid_t spawn(char **argv, const char *log) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) fail("cannot spawn %s: %s", argv[0], strerror(rc));
    return pid;
}

/* Waits until fd is readable; fails on the deadline or when the child has died. */
static void wait_readable(int fd) {
    for (;;) {
        uint64_t now = now_ns();
        if (now >= deadline_ns) fail("deadline reached");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ms = (int)((deadline_ns - now) / 1000000);
        if (ms > 200) ms = 200;
        int n = poll(&p, 1, ms);
        if (n > 0) return;
        if (n < 0 && errno != EINTR) fail("poll failed");
        int status;
        if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
            child = -1;
            fail("the function exited (status %d) - see its log", status);
        }
    }
}

struct request {
    char method[8];
    char path[256];
    const char *body;
    size_t body_len, total;
};

/* Reads one HTTP/1.1 request on `conn` (accepting a connection first if needed). 0 when the peer closed. */
static int read_request(struct request *r) {
    for (;;) {
        if (conn < 0) {
            wait_readable(listen_fd);
            conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (conn < 0) fail("accept failed");
            int one = 1;
            setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            rlen = 0;
        }
        char *end = rlen ? memmem(rbuf, rlen, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t head = (size_t)(end - rbuf) + 4, content = 0;
            for (char *line = strstr(rbuf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n"))
                if (strncasecmp(line + 2, "Content-Length:", 15) == 0) content = strtoul(line + 17, NULL, 10);
            if (sscanf(rbuf, "%7s %255s", r->method, r->path) != 2) fail("malformed request");
            if (head + content > rcap) fail("request too large");
            if (rlen >= head + content) {
                r->body = rbuf + head;
                r->body_len = content;
                r->total = head + content;
                return 1;
            }
        }
        wait_readable(conn);
        ssize_t n = recv(conn, rbuf + rlen, rcap - rlen - 1, 0);
        if (n <= 0) {
            close(conn);
            conn = -1;
            return 0;
        }
        rlen += (size_t)n;
        rbuf[rlen] = 0;
    }
}

static void consume(const struct request *r) {
    memmove(rbuf, rbuf + r->total, rlen - r->total);
    rlen -= r->total;
    rbuf[rlen] = 0;
}

static void send_all(const char *data, size_t len) {
    while (len) {
        ssize_t n = send(conn, data, len, MSG_NOSIGNAL);
        if (n <= 0) fail("send failed");
        data += n;
        len -= (size_t)n;
    }
}

static int64_t cpu_ns(pid_t pid) {
    clockid_t cid;
    struct timespec ts;
    if (clock_getcpuclockid(pid, &cid) != 0 || clock_gettime(cid, &ts) != 0) fail("cannot read the function's CPU clock");
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* utime + stime from /proc/<pid>/stat, in clock ticks. */
static long stat_ticks(pid_t pid) {
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *p = strrchr(text, ')');
    unsigned long utime = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
    return (long)(utime + stime);
}

/* VmHWM, RssAnon, RssFile (KiB) and Threads from /proc/<pid>/status, as `,"VmHWM":…` JSON members (empty when
 * unreadable). Read just before the function is stopped: what its resident memory is made of. */
static void status_members(pid_t pid, char *out, size_t cap) {
    char path[64], line[256];
    static const char *keys[] = {"VmHWM", "RssAnon", "RssFile", "Threads"};
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t used = 0;
    while (fgets(line, sizeof line, f)) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            size_t n = strlen(keys[k]);
            if (strncmp(line, keys[k], n) == 0 && line[n] == ':' && used < cap) {
                used += (size_t)snprintf(out + used, cap - used, ",\"%s\":%ld", keys[k], strtol(line + n + 1, NULL, 10));
            }
        }
    }
    fclose(f);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fail("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    if (fread(data, 1, (size_t)n, f) != (size_t)n) fail("cannot read %s", path);
    fclose(f);
    data[n] = 0;
    *len = (size_t)n;
    return data;
}

/* The Extensions API, as Lambda serves it to an internal extension: `register` is answered 200 with an identifier
 * (the runtime's shutdown extension, see Sources/LambdaRuntime/ShutdownExtension.swift), and the connection that
 * then asks `event/next` is parked for good (never answered, as for an extension registered for no events) while
 * the harness goes on with the next connection: the runtime's. Returns 1 when `r` was such a request. */
static int parked[8];
static int parked_count = 0;

static int extension_request(struct request *r) {
    if (strcmp(r->method, "POST") == 0 && strstr(r->path, "/2020-01-01/extension/register")) {
        consume(r);
        static const char registered[] =
            "HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: 00000000-0000-4000-8000-00000000bench\r\n"
            "Content-Type: application/json\r\nContent-Length: 74\r\n\r\n"
            "{\"functionName\":\"bench\",\"functionVersion\":\"$LATEST\",\"handler\":\"bootstrap\"}";
        send_all(registered, sizeof registered - 1);
        return 1;
    }
    if (strcmp(r->method, "GET") == 0 && strstr(r->path, "/2020-01-01/extension/event/next")) {
        consume(r);
        if (parked_count == (int)(sizeof parked / sizeof parked[0])) fail("too many parked extension connections");
        parked[parked_count++] = conn;
        conn = -1;
        rlen = 0;
        return 1;
    }
    return 0;
}

static void close_parked(void) {
    while (parked_count > 0) close(parked[--parked_count]);
}

static int overhead(const char *event_path, long warmup, long count, const char *expect, const char *log, char **argv) {
    size_t file_len, longest = 0;
    char *file = read_file(event_path, &file_len);
    /* Split into lines (events), in place. */
    long events = 0, cap = 1024;
    char **event = malloc((size_t)cap * sizeof *event);
    size_t *event_len = malloc((size_t)cap * sizeof *event_len);
    for (char *p = file, *end = file + file_len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        if (len) {
            if (events == cap) {
                cap *= 2;
                event = realloc(event, (size_t)cap * sizeof *event);
                event_len = realloc(event_len, (size_t)cap * sizeof *event_len);
            }
            event[events] = p;
            event_len[events++] = len;
            if (len > longest) longest = len;
        }
        p += len + 1;
    }
    if (!events) fail("no events in %s", event_path);
    char *out = malloc(longest + 1024);
    open_listener();
    child = spawn(argv, log);
    long served = 0, mismatches = 0, reconnects = 0, connections = 0;
    int64_t cpu0 = 0, cpu1 = 0;
    long ticks0 = 0, ticks1 = 0;
    uint64_t wall0 = 0, wall1 = 0;
    char current[64] = "";
    struct request r;
    for (;;) {
        int had_conn = conn >= 0;
        if (!read_request(&r)) {
            reconnects++;
            continue;
        }
        if (!had_conn) connections++;
        if (extension_request(&r)) continue;
        if (strcmp(r.method, "GET") == 0 && strstr(r.path, "/runtime/invocation/next")) {
            if (served == warmup) {
                cpu0 = cpu_ns(child);
                ticks0 = stat_ticks(child);
                wall0 = now_ns();
            } else if (served == warmup + count) {
                cpu1 = cpu_ns(child);
                ticks1 = stat_ticks(child);
                wall1 = now_ns();
                break;
            }
            const char *ev = event[served % events];
            size_t ev_len = event_len[served % events];
            served++;
            snprintf(current, sizeof current, "8f5e3a4c-0000-4000-8000-%012ld", served);
            struct timespec rt;
            clock_gettime(CLOCK_REALTIME, &rt);
            long long deadline_ms = (long long)rt.tv_sec * 1000 + rt.tv_nsec / 1000000 + 30000;
            int head = snprintf(out, 1024,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %lld\r\n"
                "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:bench\r\n"
                "Lambda-Runtime-Trace-Id: Root=1-5f8a1b2c-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0\r\n"
                "Content-Length: %zu\r\n\r\n",
                current, deadline_ms, ev_len);
            memcpy(out + head, ev, ev_len);
            consume(&r);
            send_all(out, (size_t)head + ev_len);
        } else if (strcmp(r.method, "POST") == 0 && strstr(r.path, "/response")) {
            if (!strstr(r.path, current)) fail("response for an unexpected request id: %.80s", r.path);
            if (expect && !memmem(r.body, r.body_len, expect, strlen(expect))) {
                if (mismatches++ == 0) fprintf(stderr, "rapi: unexpected response: %.*s\n", (int)(r.body_len > 600 ? 600 : r.body_len), r.body);
            }
            consume(&r);
            static const char accepted[] =
                "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}";
            send_all(accepted, sizeof accepted - 1);
        } else {
            fprintf(stderr, "rapi: %s %s: %.*s\n", r.method, r.path, (int)(r.body_len > 600 ? 600 : r.body_len), r.body);
            fail("the function called %s %s (an error report?) - see its log", r.method, r.path);
        }
    }
    /* Measured. SIGTERM first (a profiler running the function gets to write its data), SIGKILL after 5 s. */
    pid_t pid = child;
    char memory[256];
    status_members(pid, memory, sizeof memory);
    struct rusage ru;
    int status;
    kill(-pid, SIGTERM);
    for (int i = 0; i < 500 && wait4(pid, &status, WNOHANG, &ru) == 0; i++) usleep(10000);
    kill(-pid, SIGKILL);
    wait4(pid, &status, 0, &ru);
    child = -1;
    double per = (double)(cpu1 - cpu0) / (double)count;
    printf("{\"ok\":true,\"invocations\":%ld,\"cpu_ns\":%lld,\"cpu_ns_per_invocation\":%.1f,"
           "\"wall_ns_per_invocation\":%.1f,\"stat_ticks\":%ld,\"clk_tck\":%ld,\"mismatches\":%ld,"
           "\"connections\":%ld,\"reconnects\":%ld,\"maxrss_kib\":%ld%s}\n",
           count, (long long)(cpu1 - cpu0), per, (double)(wall1 - wall0) / (double)count, ticks1 - ticks0,
           sysconf(_SC_CLK_TCK), mismatches, connections, reconnects, ru.ru_maxrss, memory);
    return mismatches ? 1 : 0;
}

static int coldstart(long runs, const char *log, char **argv) {
    open_listener();
    double *samples = calloc((size_t)runs, sizeof *samples);
    for (long i = -1; i < runs; i++) { /* run -1 warms the page cache and is not reported */
        uint64_t t0 = now_ns();
        child = spawn(argv, log);
        struct request r;
        while (!read_request(&r) || extension_request(&r)) {}
        uint64_t t1 = now_ns();
        if (strcmp(r.method, "GET") != 0 || !strstr(r.path, "/runtime/invocation/next"))
            fail("first request was %s %s, not GET next (init failed?) - see its log", r.method, r.path);
        kill_child();
        close(conn);
        close_parked();
        conn = -1;
        rlen = 0;
        if (i >= 0) samples[i] = (double)(t1 - t0) / 1000.0;
    }
    printf("{\"ok\":true,\"samples_us\":[");
    for (long i = 0; i < runs; i++) printf("%s%.1f", i ? "," : "", samples[i]);
    printf("]}\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    const char *mode = argv[1], *event = NULL, *expect = NULL, *log = "/dev/null";
    long warmup = 200, count = 3000, runs = 25, deadline_s = 60;
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        if (i + 1 >= argc) goto usage;
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--event")) event = v;
        else if (!strcmp(k, "--expect")) expect = v;
        else if (!strcmp(k, "--log")) log = v;
        else if (!strcmp(k, "--warmup")) warmup = atol(v);
        else if (!strcmp(k, "--count")) count = atol(v);
        else if (!strcmp(k, "--runs")) runs = atol(v);
        else if (!strcmp(k, "--deadline")) deadline_s = atol(v);
        else goto usage;
    }
    if (i + 1 >= argc) goto usage;
    signal(SIGPIPE, SIG_IGN);
    rbuf = malloc(rcap);
    deadline_ns = now_ns() + (uint64_t)deadline_s * 1000000000ull;
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (!strcmp(mode, "overhead") && event && count > 0) return overhead(event, warmup, count, expect, log, argv + i + 1);
    if (!strcmp(mode, "coldstart") && runs > 0) return coldstart(runs, log, argv + i + 1);
usage:
    fprintf(stderr, "usage: rapi overhead --event FILE [--warmup N] [--count N] [--expect TEXT] [--deadline S] [--log FILE] -- CMD...\n"
                    "       rapi coldstart [--runs N] [--deadline S] [--log FILE] -- CMD...\n");
    return 2;
}
