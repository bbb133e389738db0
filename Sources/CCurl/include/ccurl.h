#ifndef WARDEN_CCURL_H
#define WARDEN_CCURL_H
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

/// A growable byte buffer filled by libcurl's write and header callbacks.
typedef struct warden_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    /// Maximum number of bytes accepted; 0 means unlimited. Past it, the transfer is aborted.
    size_t limit;
    /// Set to 1 when the limit aborted the transfer.
    int overflow;
} warden_buf;

/// Typed wrappers around the variadic `curl_easy_setopt`.
CURLcode warden_curl_setopt_long(CURL *easy, CURLoption option, long value);
CURLcode warden_curl_setopt_string(CURL *easy, CURLoption option, const char *value);
CURLcode warden_curl_setopt_slist(CURL *easy, CURLoption option, struct curl_slist *value);
CURLcode warden_curl_setopt_pointer(CURL *easy, CURLoption option, const void *value);
CURLcode warden_curl_setopt_off(CURL *easy, CURLoption option, curl_off_t value);
CURLcode warden_curl_getinfo_long(CURL *easy, CURLINFO info, long *value);

/// Clears AWS SigV4 signing (`CURLOPT_AWS_SIGV4`) and the user name and password, and restores libcurl's default
/// authentication (Basic, which sends nothing without a user name).
CURLcode warden_curl_clear_auth(CURL *easy);

/// Sets the request body for the next transfer (not copied: it must stay valid until the transfer ends).
/// A NULL or empty body sends an empty one.
CURLcode warden_curl_set_body(CURL *easy, const uint8_t *data, size_t len);

/// A share object holding a connection cache, so that easy handles attached to it (`CURLOPT_SHARE`) reuse each
/// other's connections. NULL when libcurl cannot make one.
CURLSH *warden_curl_share_connections(void);

/// Prepares the next transfer as a POST whose body is pulled from `read` (called with `context`) with chunked
/// transfer encoding (the caller sends `Transfer-Encoding: chunked`), and whose trailers come from `trailer`
/// (called with `context` once `read` has returned 0). Undo with `warden_curl_stream_reset`.
CURLcode warden_curl_stream_upload(CURL *easy, curl_read_callback read, curl_trailer_callback trailer, void *context);

/// Removes the read and trailer callbacks and their context from `easy`.
///
/// libcurl 7.88 keeps the trailer state of a chunked upload on the handle for good (a later chunked upload on it
/// would write before its buffer), so a handle that has sent a streamed upload must be replaced, not reused.
CURLcode warden_curl_stream_reset(CURL *easy);

/// Points the write and header callbacks of `easy` at `body` and `headers`.
CURLcode warden_curl_capture(CURL *easy, warden_buf *body, warden_buf *headers);

/// Empties a buffer, keeping its storage.
/// `curl_global_init(CURL_GLOBAL_DEFAULT)`, after telling OpenSSL not to load a configuration file: its first
/// initialisation then skips `openssl.cnf` (and `OPENSSL_CONF`) for the whole process, libpq's included. A Lambda
/// host has no file where this static OpenSSL looks (`/usr/lib/ssl`), so this is how it runs there anyway; on a
/// Debian host, reading and applying Debian's file was 2.3 M instructions of every cold start.
CURLcode warden_curl_global_init(void);

void warden_buf_clear(warden_buf *buf);

/// The offset of the last line of `data` that starts with `HTTP/` (the first line, or one after a line feed), or
/// `len` when there is none: where the final response's status line is in a block of header lines.
size_t warden_last_status_line(const uint8_t *data, size_t len);
/// Frees a buffer's storage.
void warden_buf_free(warden_buf *buf);

/// A libcurl multi handle for one thread's stoppable transfers, with a descriptor that stops them (`stop_fd`: when
/// it becomes readable before the response has begun, `warden_multi_perform` gives up).
typedef struct warden_multi warden_multi;
/// A new multi; `stop_fd` -1 for none. NULL when libcurl cannot make one.
warden_multi *warden_multi_new(int stop_fd);
/// Frees a multi with no transfer on it.
void warden_multi_free(warden_multi *m);
/// Connects `easy` to `url`'s host (`CURLOPT_CONNECT_ONLY`) and writes `data` to it as it is, without reading
/// anything back: the connection stays open as long as `easy` lives. For a request whose answer nobody waits for
/// (an extension parked on its `event/next`). `timeout_ms` bounds the connection and each wait to write.
CURLcode warden_curl_connect_and_send(CURL *easy, const char *url, const uint8_t *data, size_t len, long timeout_ms);
/// Performs `easy` like `curl_easy_perform`, on `m`. With `headers` (the handle's header capture) the transfer is
/// stoppable: CURLE_ABORTED_BY_CALLBACK as soon as `m`'s stop descriptor is readable while `headers` is still
/// empty; a response that has begun is always completed. With NULL, the stop descriptor is not watched.
CURLcode warden_multi_perform(warden_multi *m, CURL *easy, const warden_buf *headers);

#endif
