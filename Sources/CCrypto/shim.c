/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 but remain its fastest path: no provider fetch and no
 * allocation per call, which matters on the per-invocation signature check. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ccrypto.h"
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <string.h>

/* HMAC-SHA256 (RFC 2104) over SHA-256 contexts on the stack. */
int warden_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len, uint8_t out[32]) {
    uint8_t block[64] = {0}, pad[64], inner[32];
    SHA256_CTX ctx;
    if (key_len > sizeof block) {
        if (!SHA256_Init(&ctx) || !SHA256_Update(&ctx, key, key_len) || !SHA256_Final(block, &ctx)) return -1;
    } else if (key_len) {
        memcpy(block, key, key_len);
    }
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x36;
    if (!SHA256_Init(&ctx) || !SHA256_Update(&ctx, pad, sizeof pad)) return -1;
    if (msg_len && !SHA256_Update(&ctx, msg, msg_len)) return -1;
    if (!SHA256_Final(inner, &ctx)) return -1;
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x5c;
    if (!SHA256_Init(&ctx) || !SHA256_Update(&ctx, pad, sizeof pad) || !SHA256_Update(&ctx, inner, sizeof inner)
        || !SHA256_Final(out, &ctx)) return -1;
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    return 0;
}

size_t warden_hmac_key_size(void) { return 2 * sizeof(SHA256_CTX); }

int warden_hmac_key_prepare(const uint8_t *key, size_t key_len, uint8_t *state) {
    uint8_t block[64] = {0}, pad[64];
    SHA256_CTX ctx[2];
    if (key_len > sizeof block) {
        if (!SHA256_Init(&ctx[0]) || !SHA256_Update(&ctx[0], key, key_len) || !SHA256_Final(block, &ctx[0])) return -1;
    } else if (key_len) {
        memcpy(block, key, key_len);
    }
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x36;
    int ok = SHA256_Init(&ctx[0]) && SHA256_Update(&ctx[0], pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x5c;
    ok = ok && SHA256_Init(&ctx[1]) && SHA256_Update(&ctx[1], pad, sizeof pad);
    if (ok) memcpy(state, ctx, sizeof ctx);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(ctx, sizeof ctx);
    return ok ? 0 : -1;
}

int warden_hmac_sha256_prepared(const uint8_t *state, const uint8_t *msg, size_t msg_len, uint8_t out[32]) {
    SHA256_CTX ctx[2];
    uint8_t inner[32];
    memcpy(ctx, state, sizeof ctx);
    int ok = (!msg_len || SHA256_Update(&ctx[0], msg, msg_len)) && SHA256_Final(inner, &ctx[0])
        && SHA256_Update(&ctx[1], inner, sizeof inner) && SHA256_Final(out, &ctx[1]);
    OPENSSL_cleanse(ctx, sizeof ctx);
    return ok ? 0 : -1;
}

int warden_sha256(const uint8_t *msg, size_t msg_len, uint8_t out[32]) {
    SHA256_CTX ctx;
    if (!SHA256_Init(&ctx)) return -1;
    if (msg_len && !SHA256_Update(&ctx, msg, msg_len)) return -1;
    return SHA256_Final(out, &ctx) ? 0 : -1;
}

int warden_ct_equal(const uint8_t *a, const uint8_t *b, size_t len) {
    if (len == 0) return 1;
    return CRYPTO_memcmp(a, b, len) == 0;
}

int warden_random_bytes(uint8_t *out, size_t len) {
    if (len == 0) return 0;
    return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}

// MARK: - Public-key signature verification (JWS RS256 / ES256)
//
// Every function below brackets its work with ERR_set_mark / ERR_pop_to_mark: a failed verification must not leave
// entries on the thread's OpenSSL error queue, where libcurl or libpq would later find and misreport them.

/// Builds a public EVP_PKEY of `type` ("RSA" or "EC") from `params`; NULL on failure.
static EVP_PKEY *warden_public_key_from_params(const char *type, const OSSL_PARAM *params) {
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/// SHA-256 DigestVerify of `msg` against `sig` under `pkey` (PKCS#1 v1.5 padding for RSA): 1 valid, 0 otherwise.
static int warden_digest_verify(EVP_PKEY *pkey, int is_rsa, const uint8_t *msg, size_t msg_len,
                                const uint8_t *sig, size_t sig_len) {
    static const uint8_t empty = 0;
    int valid = 0;
    EVP_PKEY_CTX *pctx = NULL; // owned by md
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md != NULL && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) == 1 &&
        (!is_rsa || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0)) {
        valid = EVP_DigestVerify(md, sig, sig_len, msg_len ? msg : &empty, msg_len) == 1;
    }
    EVP_MD_CTX_free(md);
    return valid;
}

/// Skips leading zero octets of a big-endian integer.
static void warden_strip_zeros(const uint8_t **p, size_t *len) {
    while (*len > 0 && **p == 0) {
        (*p)++;
        (*len)--;
    }
}

int warden_verify_rs256(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                        const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len) {
    if (n == NULL || e == NULL || (sig == NULL && sig_len > 0) || (msg == NULL && msg_len > 0)) return -1;
    warden_strip_zeros(&n, &n_len);
    warden_strip_zeros(&e, &e_len);
    if (n_len == 0 || e_len == 0 || e_len > 8) return -1; // exponents over 64 bits are refused, as OpenSSL does
    if (n_len > WARDEN_RSA_MAX_BITS / 8) return -1;
    // Exact bit length of the modulus, from its leading octet.
    size_t bits = n_len * 8;
    for (uint8_t top = n[0]; (top & 0x80) == 0; top <<= 1) bits--;
    if (bits < WARDEN_RSA_MIN_BITS) return -2;
    // A modulus is odd; an exponent is odd and at least 3 (e = 1 would make every "signature" its own message).
    if ((n[n_len - 1] & 1) == 0 || (e[e_len - 1] & 1) == 0 || (e_len == 1 && e[0] < 3)) return -1;
    // The JWS signature is exactly as long as the modulus (RFC 8017 §8.2.2 step 1).
    if (sig_len != n_len) return 0;

    ERR_set_mark();
    int result = -1;
    BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL);
    BIGNUM *bn_e = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;
    if (bn_n != NULL && bn_e != NULL && bld != NULL && BN_cmp(bn_e, bn_n) < 0 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1 &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
        (pkey = warden_public_key_from_params("RSA", params)) != NULL) {
        if (EVP_PKEY_get_bits(pkey) < WARDEN_RSA_MIN_BITS) {
            result = -2;
        } else {
            result = warden_digest_verify(pkey, 1, msg, msg_len, sig, sig_len);
        }
    }
    EVP_PKEY_free(pkey);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    ERR_pop_to_mark();
    return result;
}

int warden_verify_es256(const uint8_t x[32], const uint8_t y[32],
                        const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len) {
    if (x == NULL || y == NULL || (msg == NULL && msg_len > 0)) return -1;
    if (sig == NULL || sig_len != 64) return 0;

    ERR_set_mark();
    int result = -1;
    uint8_t point[65];
    point[0] = 0x04; // uncompressed: 04 || x || y
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *check = NULL;
    BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *ecdsa = NULL;
    unsigned char *der = NULL;
    int der_len = 0;
    if (bld != NULL &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) == 1 &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
        (pkey = warden_public_key_from_params("EC", params)) != NULL &&
        (check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) != NULL &&
        EVP_PKEY_public_check_quick(check) == 1) { // on the curve, not the point at infinity
        result = 0;
        r = BN_bin2bn(sig, 32, NULL);
        s = BN_bin2bn(sig + 32, 32, NULL);
        ecdsa = ECDSA_SIG_new();
        if (r != NULL && s != NULL && ecdsa != NULL && ECDSA_SIG_set0(ecdsa, r, s) == 1) {
            r = s = NULL; // now owned by ecdsa
            der_len = i2d_ECDSA_SIG(ecdsa, &der);
            if (der_len > 0 && der != NULL) {
                result = warden_digest_verify(pkey, 0, msg, msg_len, der, (size_t)der_len);
            }
        }
    }
    OPENSSL_free(der);
    ECDSA_SIG_free(ecdsa);
    BN_free(r);
    BN_free(s);
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(pkey);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    ERR_pop_to_mark();
    return result;
}
