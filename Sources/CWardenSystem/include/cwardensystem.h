#ifndef WARDEN_CWARDENSYSTEM_H
#define WARDEN_CWARDENSYSTEM_H
#include <stddef.h>
#include <stdint.h>

/// Starts a detached thread running `body(context)`. Returns 0, or an errno value when no thread could start.
int warden_thread_start(void (*body)(void *), void *context);
/// Installs a SIGTERM handler that sets a flag and writes a byte to a pipe, and returns the pipe's read end (or -1
/// when neither could be set up): a poll that watches it wakes up at SIGTERM. The byte is never read, so the pipe
/// stays readable for every poll after. No thread is started.
int warden_termination_install(void);
/// 1 once SIGTERM arrived.
int warden_termination_requested(void);
/// Blocks the calling thread for good (the process ends from another thread).
void warden_park(void) __attribute__((noreturn));

/// Wall clock in milliseconds since the Unix epoch.
int64_t warden_now_ms(void);
/// Monotonic clock in nanoseconds.
uint64_t warden_monotonic_ns(void);

/// Writes all of `len` bytes to file descriptor `fd` (retrying on EINTR and short writes). Returns 0 on success.
int warden_write_all(int fd, const uint8_t *data, size_t len);
/// Sets or (with value NULL) removes an environment variable. Returns 0 on success. A variable set again and again
/// (the trace id, once per invocation) keeps one buffer, rewritten in place: glibc's setenv keeps every value it ever
/// set, so a new value per invocation would grow the heap for the life of the process. Not thread-safe (no more than
/// setenv is), and a pointer that getenv returned for such a variable sees its next value.
int warden_setenv(const char *name, const char *value);
/// Bytes the malloc heap has handed out and not taken back (glibc's mallinfo2 uordblks + hblkhd).
size_t warden_heap_in_use(void);
/// Exits immediately with `code`, flushing nothing.
void warden_exit(int code) __attribute__((noreturn));
/// Pid of this process.
int warden_getpid(void);

#endif
