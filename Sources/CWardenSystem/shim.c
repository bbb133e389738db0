#define _GNU_SOURCE
#include "cwardensystem.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Starts a detached thread running main(arg) with a stack of stack_bytes (address space, touched only as used). */
static int warden_start_detached(void *(*main)(void *), void *arg, size_t stack_bytes) {
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0) return rc;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, stack_bytes);
    pthread_t thread;
    rc = pthread_create(&thread, &attr, main, arg);
    pthread_attr_destroy(&attr);
    return rc;
}

struct warden_thread_start {
    void (*body)(void *);
    void *context;
};

static void *warden_thread_main(void *raw) {
    struct warden_thread_start start = *(struct warden_thread_start *)raw;
    free(raw);
    start.body(start.context);
    return NULL;
}

int warden_thread_start(void (*body)(void *), void *context) {
    struct warden_thread_start *start = malloc(sizeof *start);
    if (!start) return ENOMEM;
    start->body = body;
    start->context = context;
    /* The main thread's default, 8 MiB: deep JSON needs the room. */
    int rc = warden_start_detached(warden_thread_main, start, 8u << 20);
    if (rc != 0) free(start);
    return rc;
}

/* SIGTERM: a flag and one byte in a pipe that every worker's poll watches (see warden_termination_install). */
static volatile sig_atomic_t warden_term = 0;
static int warden_term_pipe[2] = {-1, -1};

static void warden_on_sigterm(int sig) {
    (void)sig;
    int saved = errno;
    warden_term = 1;
    if (warden_term_pipe[1] >= 0) {
        ssize_t n = write(warden_term_pipe[1], "t", 1);
        (void)n; /* a full pipe is readable already */
    }
    errno = saved;
}

int warden_termination_install(void) {
    if (pipe2(warden_term_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = warden_on_sigterm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGTERM, &sa, NULL) != 0) {
        close(warden_term_pipe[0]);
        close(warden_term_pipe[1]);
        warden_term_pipe[0] = warden_term_pipe[1] = -1;
        return -1;
    }
    return warden_term_pipe[0];
}

int warden_termination_requested(void) { return warden_term != 0; }

void warden_park(void) {
    for (;;) pause();
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
