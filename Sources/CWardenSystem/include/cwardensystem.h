#ifndef WARDEN_CWARDENSYSTEM_H
#define WARDEN_CWARDENSYSTEM_H
#include <stddef.h>
#include <stdint.h>

/// Installs a SIGTERM handler: while idle (between invocations) the process exits 0 at once; while busy the
/// request is remembered and `warden_set_busy(0)` reports it once the invocation is finished.
int warden_install_sigterm(void);
/// Marks the process busy (1) or idle (0). Returns 1 when SIGTERM arrived while busy.
int warden_set_busy(int busy);

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
