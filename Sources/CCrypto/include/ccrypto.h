#ifndef WARDEN_CCRYPTO_H
#define WARDEN_CCRYPTO_H
#include <stddef.h>
#include <stdint.h>

/// HMAC-SHA256 of `msg` under `key`; writes 32 bytes to `out`. Returns 0 on success.
int warden_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len, uint8_t out[32]);
/// The size of a prepared HMAC-SHA256 key: the SHA-256 states after the key's inner and outer padded blocks.
size_t warden_hmac_key_size(void);
/// Prepares `key` into `state` (`warden_hmac_key_size()` bytes). Returns 0 on success.
int warden_hmac_key_prepare(const uint8_t *key, size_t key_len, uint8_t *state);
/// HMAC-SHA256 of `msg` under a prepared key (equal to `warden_hmac_sha256` under the key it was prepared from),
/// hashing only the message and the inner digest. Returns 0 on success.
int warden_hmac_sha256_prepared(const uint8_t *state, const uint8_t *msg, size_t msg_len, uint8_t out[32]);
/// SHA-256 of `msg`; writes 32 bytes to `out`. Returns 0 on success.
int warden_sha256(const uint8_t *msg, size_t msg_len, uint8_t out[32]);
/// Constant-time comparison of two equal-length buffers: 1 when equal.
int warden_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);
/// Cryptographically secure random bytes. Returns 0 on success.
int warden_random_bytes(uint8_t *out, size_t len);

/// Smallest RSA modulus, in bits, that `warden_verify_rs256` accepts.
#define WARDEN_RSA_MIN_BITS 2048
/// Largest RSA modulus, in bits, that `warden_verify_rs256` accepts.
#define WARDEN_RSA_MAX_BITS 16384

/// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature (JWS RS256) over `msg` with the RSA public key whose modulus `n`
/// and public exponent `e` are unsigned big-endian integers. Returns 1 when the signature is valid, 0 when it is
/// not, -1 when the key is unusable (malformed, even or tiny exponent, over WARDEN_RSA_MAX_BITS) and -2 when the
/// modulus is shorter than WARDEN_RSA_MIN_BITS. Never leaves entries on OpenSSL's error queue.
int warden_verify_rs256(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                        const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);
/// Verifies an ECDSA P-256 SHA-256 signature (JWS ES256) over `msg`. `x` and `y` are the 32-byte big-endian affine
/// coordinates of the public key; `sig` is the JWS form `r || s` (64 bytes, each big-endian). Returns 1 when valid,
/// 0 when not (including a wrong signature length), -1 when the key is not a valid P-256 point. Never leaves entries
/// on OpenSSL's error queue.
int warden_verify_es256(const uint8_t x[32], const uint8_t y[32],
                        const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);

#endif
