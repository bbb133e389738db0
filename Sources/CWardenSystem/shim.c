#define _GNU_SOURCE
#include "cwardensystem.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t warden_busy = 0;
static volatile sig_atomic_t warden_term = 0;

static void warden_on_sigterm(int sig) {
    (void)sig;
    warden_term = 1;
    if (!warden_busy) _exit(0);
}

int warden_install_sigterm(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = warden_on_sigterm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    return sigaction(SIGTERM, &sa, NULL);
}

int warden_set_busy(int busy) {
    warden_busy = busy;
    return warden_term;
}


int64_t warden_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


uint64_t warden_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


int warden_write_all(int fd, const uint8_t *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int warden_setenv(const char *name, const char *value) {
    return value ? setenv(name, value, 1) : unsetenv(name);
}

void warden_exit(int code) { _exit(code); }

int warden_getpid(void) { return (int)getpid(); }
