#include "ccurl.h"
#include <stdatomic.h>
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

void warden_buf_clear(warden_buf *buf) { buf->len = 0; buf->overflow = 0; }

void warden_buf_free(warden_buf *buf) {
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

struct warden_interrupt {
    atomic_int stop;
    CURLM *multi;
};

warden_interrupt *warden_interrupt_new(void) {
    warden_interrupt *in = calloc(1, sizeof *in);
    if (!in) return NULL;
    atomic_init(&in->stop, 0);
    in->multi = curl_multi_init();
    if (!in->multi) {
        free(in);
        return NULL;
    }
    return in;
}

void warden_interrupt_free(warden_interrupt *in) {
    if (!in) return;
    curl_multi_cleanup(in->multi);
    free(in);
}

void warden_interrupt_fire(warden_interrupt *in) {
    atomic_store(&in->stop, 1);
    curl_multi_wakeup(in->multi);
}

int warden_interrupt_fired(warden_interrupt *in) { return atomic_load(&in->stop); }

CURLcode warden_curl_perform_interruptible(CURL *easy, warden_interrupt *in, const warden_buf *headers) {
    if (atomic_load(&in->stop)) return CURLE_ABORTED_BY_CALLBACK;
    if (curl_multi_add_handle(in->multi, easy) != CURLM_OK) return CURLE_FAILED_INIT;
    CURLcode result = CURLE_OK;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(in->multi, &running) != CURLM_OK) {
            result = CURLE_RECV_ERROR;
            break;
        }
        if (!running) {
            int queued = 0;
            CURLMsg *msg;
            result = CURLE_RECV_ERROR;
            while ((msg = curl_multi_info_read(in->multi, &queued)) != NULL) {
                if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) result = msg->data.result;
            }
            break;
        }
        /* Once the response has begun it is an invocation handed over: finish it whatever happens. */
        if (atomic_load(&in->stop) && headers->len == 0) {
            result = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (curl_multi_poll(in->multi, NULL, 0, 1000, NULL) != CURLM_OK) {
            result = CURLE_RECV_ERROR;
            break;
        }
    }
    curl_multi_remove_handle(in->multi, easy);
    return result;
}
