#ifndef WARDEN_CWARDENSYSTEM_H
#define WARDEN_CWARDENSYSTEM_H
#include <stddef.h>
#include <stdint.h>

/// Starts a detached thread running `body(context)`. Returns 0, or an errno value when no thread could start.
int warden_thread_start(void (*body)(void *), void *context);
/// Blocks SIGTERM in the calling thread (and so in every thread it starts afterwards) and starts a thread that waits
/// for it with `sigwait` and then calls `on_term(context)` once, outside signal context. Call before starting any
/// other thread. Returns 0, or an errno value (then SIGTERM keeps its default action).
int warden_termination_start(void (*on_term)(void *), void *context);
/// Blocks the calling thread for good (the process ends from another thread).
void warden_park(void) __attribute__((noreturn));

/// Wall clock in milliseconds since the Unix epoch.
int64_t warden_now_ms(void);
/// Monotonic clock in nanoseconds.
uint64_t warden_monotonic_ns(void);

/// Writes all of `len` bytes to file descriptor `fd` (retrying on EINTR and short writes). Returns 0 on success.
int warden_write_all(int fd, const uint8_t *data, size_t len);
/// Sets or (with value NULL) removes an environment variable. Returns 0 on success.
int warden_setenv(const char *name, const char *value);
/// Exits immediately with `code`, flushing nothing.
void warden_exit(int code) __attribute__((noreturn));
/// Pid of this process.
int warden_getpid(void);

#endif
