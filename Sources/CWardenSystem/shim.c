#define _GNU_SOURCE
#include "cwardensystem.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
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

/* The variables warden_setenv owns: each a "NAME=value" buffer of its own, put in the environment with putenv. */
#define WARDEN_ENV_SLOTS 4
static struct warden_env_slot {
    char *entry;     /* "NAME=value\0", or NULL when the slot is free */
    size_t name_len;
    size_t capacity; /* bytes allocated for entry */
} warden_env[WARDEN_ENV_SLOTS];

static struct warden_env_slot *warden_env_slot(const char *name, size_t name_len) {
    struct warden_env_slot *free_slot = NULL;
    for (size_t i = 0; i < WARDEN_ENV_SLOTS; i++) {
        struct warden_env_slot *slot = &warden_env[i];
        if (!slot->entry) {
            if (!free_slot) free_slot = slot;
        } else if (slot->name_len == name_len && memcmp(slot->entry, name, name_len) == 0) {
            return slot;
        }
    }
    return free_slot;
}

int warden_setenv(const char *name, const char *value) {
    size_t name_len = strlen(name);
    /* setenv's own answer (EINVAL) for a name it refuses. */
    if (name_len == 0 || strchr(name, '=')) return value ? setenv(name, value, 1) : unsetenv(name);
    struct warden_env_slot *slot = warden_env_slot(name, name_len);
    if (!value) {
        int rc = unsetenv(name);
        if (rc == 0 && slot && slot->entry) {
            /* unsetenv took the entry out of the environment: nothing points to it any more. */
            free(slot->entry);
            *slot = (struct warden_env_slot){0};
        }
        return rc;
    }
    if (!slot) return setenv(name, value, 1); /* more variables than slots: glibc's way */
    size_t value_len = strlen(value);
    size_t needed = name_len + 1 + value_len + 1;
    /* The environment still holds this slot's buffer (nobody setenv'd the name since), and the value fits: rewrite. */
    if (slot->entry && needed <= slot->capacity && getenv(name) == slot->entry + name_len + 1) {
        memcpy(slot->entry + name_len + 1, value, value_len + 1);
        return 0;
    }
    size_t capacity = needed < 256 ? 256 : needed;
    char *entry = malloc(capacity);
    if (!entry) return -1;
    memcpy(entry, name, name_len);
    entry[name_len] = '=';
    memcpy(entry + name_len + 1, value, value_len + 1);
    if (putenv(entry) != 0) {
        free(entry);
        return -1;
    }
    /* putenv replaced the variable's entry: the previous buffer is no longer in the environment. */
    free(slot->entry);
    *slot = (struct warden_env_slot){.entry = entry, .name_len = name_len, .capacity = capacity};
    return 0;
}

size_t warden_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

void warden_exit(int code) { _exit(code); }

int warden_getpid(void) { return (int)getpid(); }
