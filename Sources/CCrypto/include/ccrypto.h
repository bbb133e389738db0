#ifndef WARDEN_CCRYPTO_H
#define WARDEN_CCRYPTO_H
#include <stddef.h>
#include <stdint.h>

/// HMAC-SHA256 of `msg` under `key`; writes 32 bytes to `out`. Returns 0 on success.
int warden_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len, uint8_t out[32]);
/// SHA-256 of `msg`; writes 32 bytes to `out`. Returns 0 on success.
int warden_sha256(const uint8_t *msg, size_t msg_len, uint8_t out[32]);
/// Constant-time comparison of two equal-length buffers: 1 when equal.
int warden_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);
/// Cryptographically secure random bytes. Returns 0 on success.
int warden_random_bytes(uint8_t *out, size_t len);

#endif
