/* Synchronous name resolution over c-ares, for libpq's hostaddr=: the static bootstrap never reaches glibc NSS. */
#include "cresolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef struct warden_query {
    int done;
    int status;
    struct ares_addrinfo *result;
} warden_query;

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status = ARES_SUCCESS;

static void library_init(void) { library_status = ares_library_init(ARES_LIB_INIT_ALL); }

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_result(void *arg, int status, int timeouts, struct ares_addrinfo *result) {
    (void)timeouts;
    warden_query *query = arg;
    query->done = 1;
    query->status = status;
    query->result = result;
}

/* Drives the channel until the query's callback ran or the deadline passed (then cancels it). */
static void wait_for(ares_channel channel, warden_query *query, long long deadline) {
    while (!query->done) {
        long long remaining = deadline - now_ms();
        if (remaining <= 0) {
            ares_cancel(channel); /* runs the callback with ARES_ECANCELLED */
            query->status = ARES_ETIMEOUT;
            return;
        }
        ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
        struct pollfd fds[ARES_GETSOCK_MAXNUM];
        nfds_t count = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short events = 0;
            if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
            if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
            if (events == 0) continue;
            fds[count].fd = sockets[i];
            fds[count].events = events;
            fds[count].revents = 0;
            count++;
        }
        struct timeval max_wait = {.tv_sec = remaining / 1000, .tv_usec = (remaining % 1000) * 1000};
        struct timeval wait_buffer;
        struct timeval *wait = ares_timeout(channel, &max_wait, &wait_buffer);
        int wait_ms = (int)(wait->tv_sec * 1000 + (wait->tv_usec + 999) / 1000);
        int ready = poll(fds, count, wait_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            ares_cancel(channel);
            query->status = ARES_ECONNREFUSED;
            return;
        }
        if (ready == 0) {
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts and retries */
            continue;
        }
        for (nfds_t i = 0; i < count; i++) {
            short r = fds[i].revents;
            if (r == 0) continue;
            ares_socket_t read_fd = (r & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
            ares_socket_t write_fd = (r & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
            ares_process_fd(channel, read_fd, write_fd);
        }
    }
}

/* Appends the numeric form of `address` to `out` unless it is already listed or does not fit. */
static int append_address(const struct sockaddr *address, char *out, size_t out_len) {
    char text[INET6_ADDRSTRLEN];
    const void *raw;
    if (address->sa_family == AF_INET) {
        raw = &((const struct sockaddr_in *)(const void *)address)->sin_addr;
    } else if (address->sa_family == AF_INET6) {
        raw = &((const struct sockaddr_in6 *)(const void *)address)->sin6_addr;
    } else {
        return 0;
    }
    if (inet_ntop(address->sa_family, raw, text, sizeof text) == NULL) return 0;
    size_t used = strlen(out);
    size_t length = strlen(text);
    /* Already present? Compare whole list items only. */
    for (const char *item = out; *item != '\0';) {
        const char *end = strchr(item, ',');
        size_t item_length = end ? (size_t)(end - item) : strlen(item);
        if (item_length == length && memcmp(item, text, length) == 0) return 0;
        if (!end) break;
        item = end + 1;
    }
    size_t needed = used + (used > 0 ? 1 : 0) + length + 1;
    if (needed > out_len) return 0;
    if (used > 0) out[used++] = ',';
    memcpy(out + used, text, length + 1);
    return 1;
}

int warden_resolve(const char *name, int timeout_ms, int max_addresses, char *out, size_t out_len) {
    if (out == NULL || out_len == 0) return ARES_EBADQUERY;
    out[0] = '\0';
    if (name == NULL || name[0] == '\0' || max_addresses <= 0) return ARES_EBADNAME;
    pthread_once(&library_once, library_init);
    if (library_status != ARES_SUCCESS) return library_status;
    if (timeout_ms < 1) timeout_ms = 1;

    /* Several tries fit in the budget: a lost UDP datagram is retried before the deadline. */
    struct ares_options options;
    memset(&options, 0, sizeof options);
    options.timeout = timeout_ms / 4 > 100 ? timeout_ms / 4 : 100;
    options.tries = 3;
    char lookups[] = "fb"; /* /etc/hosts, then DNS: as getaddrinfo with "hosts: files dns" */
    options.lookups = lookups;
    ares_channel channel;
    int status = ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS);
    if (status != ARES_SUCCESS) return status;

    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    warden_query query = {0, ARES_SUCCESS, NULL};
    long long deadline = now_ms() + timeout_ms;
    ares_getaddrinfo(channel, name, NULL, &hints, on_result, &query);
    wait_for(channel, &query, deadline);
    status = query.status;
    if (status == ARES_SUCCESS) {
        int written = 0;
        for (struct ares_addrinfo_node *node = query.result ? query.result->nodes : NULL;
             node != NULL && written < max_addresses; node = node->ai_next) {
            if (node->ai_addr != NULL) written += append_address(node->ai_addr, out, out_len);
        }
        if (written == 0) status = ARES_ENODATA;
    }
    if (query.result != NULL) ares_freeaddrinfo(query.result);
    ares_destroy(channel);
    return status;
}

const char *warden_resolve_strerror(int status) { return ares_strerror(status); }

int warden_is_numeric_address(const char *host) {
    if (host == NULL) return 0;
    unsigned char buffer[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buffer) == 1 || inet_pton(AF_INET6, host, buffer) == 1;
}
