#include "ccrypto.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

int warden_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len, uint8_t out[32]) {
    unsigned int out_len = 0;
    static const uint8_t empty = 0;
    if (HMAC(EVP_sha256(), key_len ? key : &empty, (int)key_len, msg_len ? msg : &empty, msg_len, out, &out_len) == NULL) return -1;
    return out_len == 32 ? 0 : -1;
}

int warden_sha256(const uint8_t *msg, size_t msg_len, uint8_t out[32]) {
    static const uint8_t empty = 0;
    return SHA256(msg_len ? msg : &empty, msg_len, out) == NULL ? -1 : 0;
}

int warden_ct_equal(const uint8_t *a, const uint8_t *b, size_t len) {
    if (len == 0) return 1;
    return CRYPTO_memcmp(a, b, len) == 0;
}

int warden_random_bytes(uint8_t *out, size_t len) {
    if (len == 0) return 0;
    return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}
