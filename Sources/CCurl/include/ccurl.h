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
void warden_buf_clear(warden_buf *buf);
/// Frees a buffer's storage.
void warden_buf_free(warden_buf *buf);

/// A way to end a blocking transfer from another thread: `warden_curl_perform_interruptible` runs the transfer
/// on the interrupt's own multi handle and gives up when `warden_interrupt_fire` is called before any response
/// header has arrived. Firing is thread-safe (an atomic flag and `curl_multi_wakeup`) and cannot be undone.
typedef struct warden_interrupt warden_interrupt;
/// A new interrupt, or NULL when libcurl cannot make a multi handle.
warden_interrupt *warden_interrupt_new(void);
/// Frees an interrupt no transfer uses any more.
void warden_interrupt_free(warden_interrupt *in);
/// Asks the transfer running on `in` (or the next one) to stop; callable from any thread.
void warden_interrupt_fire(warden_interrupt *in);
/// 1 once `warden_interrupt_fire` has been called.
int warden_interrupt_fired(warden_interrupt *in);
/// Performs `easy` like `curl_easy_perform`, but answers CURLE_ABORTED_BY_CALLBACK as soon as `in` is fired while
/// `headers` (the handle's header capture) is still empty. A response that has begun is always completed.
CURLcode warden_curl_perform_interruptible(CURL *easy, warden_interrupt *in, const warden_buf *headers);

#endif
