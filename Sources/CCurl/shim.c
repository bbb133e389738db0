#include "ccurl.h"
#include <openssl/crypto.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

CURLcode warden_curl_setopt_long(CURL *easy, CURLoption option, long value) { return curl_easy_setopt(easy, option, value); }
CURLcode warden_curl_setopt_string(CURL *easy, CURLoption option, const char *value) { return curl_easy_setopt(easy, option, value); }
CURLcode warden_curl_setopt_slist(CURL *easy, CURLoption option, struct curl_slist *value) { return curl_easy_setopt(easy, option, value); }
CURLcode warden_curl_setopt_pointer(CURL *easy, CURLoption option, const void *value) { return curl_easy_setopt(easy, option, value); }
CURLcode warden_curl_setopt_off(CURL *easy, CURLoption option, curl_off_t value) { return curl_easy_setopt(easy, option, value); }
CURLcode warden_curl_getinfo_long(CURL *easy, CURLINFO info, long *value) { return curl_easy_getinfo(easy, info, value); }

CURLcode warden_curl_clear_auth(CURL *easy) {
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, (const char *)NULL);
    if (rc != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_USERPWD, (const char *)NULL)) != CURLE_OK) return rc;
    return curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
}

CURLcode warden_curl_set_body(CURL *easy, const uint8_t *data, size_t len) {
    static const char empty[1] = {0};
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(easy, CURLOPT_POSTFIELDS, (data && len) ? (const void *)data : (const void *)empty);
}

CURLSH *warden_curl_share_connections(void) {
    CURLSH *share = curl_share_init();
    if (!share) return NULL;
    if (curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
        curl_share_cleanup(share);
        return NULL;
    }
    return share;
}

CURLcode warden_curl_stream_upload(CURL *easy, curl_read_callback read, curl_trailer_callback trailer, void *context) {
    CURLcode rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_POST, 1L)) != CURLE_OK) return rc;
    /* No POSTFIELDS: the body comes from the read callback, its size unknown (chunked). */
    if ((rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDS, (const void *)NULL)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_READFUNCTION, read)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_READDATA, context)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_TRAILERFUNCTION, trailer)) != CURLE_OK) return rc;
    return curl_easy_setopt(easy, CURLOPT_TRAILERDATA, context);
}

CURLcode warden_curl_stream_reset(CURL *easy) {
    CURLcode rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_TRAILERFUNCTION, (curl_trailer_callback)NULL)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_TRAILERDATA, (void *)NULL)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_READFUNCTION, (curl_read_callback)NULL)) != CURLE_OK) return rc;
    return curl_easy_setopt(easy, CURLOPT_READDATA, (void *)NULL);
}

static size_t warden_buf_append(char *ptr, size_t size, size_t nmemb, void *userdata) {
    warden_buf *buf = userdata;
    size_t n = size * nmemb;
    if (buf->limit && buf->len + n > buf->limit) {
        buf->overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (buf->len + n > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 4096;
        while (cap < buf->len + n) cap *= 2;
        uint8_t *data = realloc(buf->data, cap);
        if (!data) return 0;
        buf->data = data;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, ptr, n);
    buf->len += n;
    return n;
}

CURLcode warden_curl_capture(CURL *easy, warden_buf *body, warden_buf *headers) {
    CURLcode rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, warden_buf_append)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, body)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, warden_buf_append)) != CURLE_OK) return rc;
    return curl_easy_setopt(easy, CURLOPT_HEADERDATA, headers);
}

CURLcode warden_curl_global_init(void) {
    // OpenSSL runs its configuration step once per process: whichever of "load" or "do not load" asks first wins.
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}

void warden_buf_clear(warden_buf *buf) { buf->len = 0; buf->overflow = 0; }

size_t warden_last_status_line(const uint8_t *data, size_t len) {
    size_t last = (len >= 5 && memcmp(data, "HTTP/", 5) == 0) ? 0 : len;
    const uint8_t *end = data + len, *p = data, *newline;
    while (p < end && (newline = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        p = newline + 1;
        if ((size_t)(end - p) >= 5 && memcmp(p, "HTTP/", 5) == 0) last = (size_t)(p - data);
    }
    return last;
}

void warden_buf_free(warden_buf *buf) {
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

struct warden_multi {
    CURLM *multi;
    int stop_fd;
};

warden_multi *warden_multi_new(int stop_fd) {
    warden_multi *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->multi = curl_multi_init();
    if (!m->multi) {
        free(m);
        return NULL;
    }
    m->stop_fd = stop_fd;
    return m;
}

void warden_multi_free(warden_multi *m) {
    if (!m) return;
    curl_multi_cleanup(m->multi);
    free(m);
}

CURLcode warden_curl_connect_and_send(CURL *easy, const char *url, const uint8_t *data, size_t len, long timeout_ms) {
    CURLcode rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_URL, url)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms)) != CURLE_OK) return rc;
    if ((rc = curl_easy_perform(easy)) != CURLE_OK) return rc;
    curl_socket_t sock = CURL_SOCKET_BAD;
    if ((rc = curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &sock)) != CURLE_OK) return rc;
    while (len > 0) {
        size_t sent = 0;
        rc = curl_easy_send(easy, data, len, &sent);
        if (rc == CURLE_AGAIN) {
            struct pollfd p = {.fd = sock, .events = POLLOUT};
            if (poll(&p, 1, (int)timeout_ms) <= 0) return CURLE_OPERATION_TIMEDOUT;
            continue;
        }
        if (rc != CURLE_OK) return rc;
        data += sent;
        len -= sent;
    }
    return CURLE_OK;
}

CURLcode warden_multi_perform(warden_multi *m, CURL *easy, const warden_buf *headers) {
    if (curl_multi_add_handle(m->multi, easy) != CURLM_OK) return CURLE_FAILED_INIT;
    /* Watch the stop descriptor only for a stoppable transfer, and only until its response begins. */
    int watch = headers != NULL && m->stop_fd >= 0;
    CURLcode result = CURLE_OK;
    for (;;) {
        int running = 0, done = 0;
        if (curl_multi_perform(m->multi, &running) != CURLM_OK) {
            result = CURLE_RECV_ERROR;
            break;
        }
        int queued = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m->multi, &queued)) != NULL) {
            /* Only this transfer runs here; its end is the one that matters. */
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
                result = msg->data.result;
                done = 1;
            }
        }
        if (done) break;
        if (watch && headers->len > 0) watch = 0; /* handed over: finish it whatever happens */
        struct curl_waitfd stop = {.fd = m->stop_fd, .events = CURL_WAIT_POLLIN, .revents = 0};
        if (curl_multi_poll(m->multi, watch ? &stop : NULL, watch ? 1 : 0, 1000, NULL) != CURLM_OK) {
            result = CURLE_RECV_ERROR;
            break;
        }
        if (watch && stop.revents != 0 && headers->len == 0) {
            result = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
    }
    curl_multi_remove_handle(m->multi, easy);
    return result;
}
