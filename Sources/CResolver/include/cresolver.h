#ifndef WARDEN_CRESOLVER_H
#define WARDEN_CRESOLVER_H
#include <stddef.h>

/// Bytes one numeric address may take in `warden_resolve`'s output: INET6_ADDRSTRLEN (46) plus a separator.
#define WARDEN_RESOLVE_ADDRESS_SPACE 47

/// Resolves `name` to numeric IPv4 and IPv6 addresses with c-ares, synchronously: /etc/hosts first, then the DNS
/// servers of /etc/resolv.conf (never glibc NSS, so it works in a fully static binary). The whole lookup is bounded
/// by `timeout_ms`.
///
/// On success returns 0 and writes at most `max_addresses` distinct addresses, in c-ares' preference order
/// (RFC 6724), into `out` as one comma-separated, NUL-terminated list; addresses that do not fit in `out_len` are
/// left out. On failure returns a non-zero c-ares status (see `warden_resolve_strerror`) and writes "".
int warden_resolve(const char *name, int timeout_ms, int max_addresses, char *out, size_t out_len);

/// A short English description of a `warden_resolve` status (static storage).
const char *warden_resolve_strerror(int status);

/// 1 when `host` is a numeric IPv4 or IPv6 address (no lookup needed), else 0.
int warden_is_numeric_address(const char *host);

#endif
