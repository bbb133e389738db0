/*
 * The floor for figure 1: the least a custom runtime over libcurl can do per invocation.
 *
 * A bare loop on ONE reused easy handle (so one keep-alive connection): GET /invocation/next, read the
 * Lambda-Runtime-Aws-Request-Id header, POST the event back unchanged as the response to
 * /invocation/{id}/response. No JSON, no HMAC, no logging. It makes the same libcurl settings as our runtime
 * (CURLOPT_NOSIGNAL, TCP_NODELAY, TCP keep-alive, `Expect:` suppressed, Content-Type on the POST) so that
 * the difference to `warden-bench-echo` is what our runtime and middleware add on top of the HTTP round trips.
 *
 * Like our runtime, it hands libcurl URLs parsed once (`CURLOPT_CURLU`: the `next` URL, and the answers' URL
 * whose path it replaces), which spares libcurl parsing and re-writing a URL string on every transfer (about a
 * quarter of this loop's instructions). Built with -DFLOOR_STRING_URLS it passes URL strings (`CURLOPT_URL`)
 * instead: the floor issue 17's targets were first measured against, kept as a second reference.
 *
 * Build (bench/run.sh does this, statically like our bootstraps):
 *   gcc -O2 -static -I.deps/prefix/include bench/floor/floor.c -o bench/.work/floor \
 *       -L.deps/prefix/lib -lcurl -lcares -lssl -lcrypto -lz -lpthread
 * Run under any Runtime API: AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT ./floor
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct buf {
    char *data;
    size_t len, cap;
};

static size_t append(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buf *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

/* Header callback: keeps only the request id (the one header a runtime must read). */
static char request_id[128];
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata) {
    (void)userdata;
    size_t n = size * nmemb;
    static const char name[] = "Lambda-Runtime-Aws-Request-Id:";
    size_t k = sizeof name - 1;
    if (n > k && strncasecmp(ptr, name, k) == 0) {
        size_t i = k, end = n;
        while (i < end && (ptr[i] == ' ' || ptr[i] == '\t')) i++;
        while (end > i && (ptr[end - 1] == '\r' || ptr[end - 1] == '\n' || ptr[end - 1] == ' ')) end--;
        size_t len = end - i < sizeof request_id - 1 ? end - i : sizeof request_id - 1;
        memcpy(request_id, ptr + i, len);
        request_id[len] = 0;
    }
    return n;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) {
        fprintf(stderr, "floor: AWS_LAMBDA_RUNTIME_API is not set\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    if (!h) return 1;
    struct buf body = {0}, reply = {0};
    char next_url[512];
#ifdef FLOOR_STRING_URLS
    char post_url[768];
#endif
    snprintf(next_url, sizeof next_url, "http://%s/2018-06-01/runtime/invocation/next", api);
    struct curl_slist *get_headers = curl_slist_append(NULL, "Expect:");
    struct curl_slist *post_headers = curl_slist_append(NULL, "Expect:");
    post_headers = curl_slist_append(post_headers, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);

#ifndef FLOOR_STRING_URLS
    CURLU *next_u = curl_url(), *post_u = curl_url();
    if (!next_u || !post_u || curl_url_set(next_u, CURLUPART_URL, next_url, 0) != CURLUE_OK ||
        curl_url_set(post_u, CURLUPART_URL, next_url, 0) != CURLUE_OK) {
        fprintf(stderr, "floor: cannot parse %s\n", next_url);
        return 1;
    }
    /* The path before /invocation/: AWS_LAMBDA_RUNTIME_API may carry a prefix after host:port. */
    const char *prefix = strchr(api, '/');
    char post_path[768];
#endif
    for (;;) {
        body.len = 0;
        request_id[0] = 0;
#ifdef FLOOR_STRING_URLS
        curl_easy_setopt(h, CURLOPT_URL, next_url);
#else
        curl_easy_setopt(h, CURLOPT_CURLU, next_u);
#endif
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, get_headers);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || !request_id[0]) {
            fprintf(stderr, "floor: next failed (curl %d, status %ld)\n", (int)rc, status);
            return 1;
        }
        /* The event is the response: hand curl a copy-free pointer to it. */
        char *event = body.data;
        size_t event_len = body.len;
#ifdef FLOOR_STRING_URLS
        snprintf(post_url, sizeof post_url, "http://%s/2018-06-01/runtime/invocation/%s/response", api, request_id);
        curl_easy_setopt(h, CURLOPT_URL, post_url);
#else
        snprintf(post_path, sizeof post_path, "%s/2018-06-01/runtime/invocation/%s/response", prefix ? prefix : "",
                 request_id);
        curl_url_set(post_u, CURLUPART_PATH, post_path, 0);
        curl_easy_setopt(h, CURLOPT_CURLU, post_u);
#endif
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, post_headers);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)event_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, event);
        /* The POST's own answer goes to a second buffer, so the event stays intact while curl sends it. */
        reply.len = 0;
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
        rc = curl_easy_perform(h);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 202) {
            fprintf(stderr, "floor: response failed (curl %d, status %ld)\n", (int)rc, status);
            return 1;
        }
    }
}
