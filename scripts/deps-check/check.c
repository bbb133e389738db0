/* Link/run smoke test for the static libraries built by scripts/deps.sh.
 * Linked twice by the script: fully static (gcc -static) and as a normal PIE.
 * Exit status 0 only if curl has SSL + c-ares + SigV4 and libpq fails to
 * connect to a closed port cleanly. */
#include <stdio.h>
#include <curl/curl.h>
#include <libpq-fe.h>

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_global_init failed\n");
        return 1;
    }
    curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    printf("libcurl %s, %s, c-ares %s, zlib %s\n", v->version,
           v->ssl_version ? v->ssl_version : "no-ssl",
           v->ares ? v->ares : "none",
           v->libz_version ? v->libz_version : "none");
    if (!v->ares || !v->ssl_version || !(v->features & CURL_VERSION_ASYNCHDNS)) {
        fprintf(stderr, "libcurl lacks SSL or c-ares AsynchDNS\n");
        return 1;
    }

    CURL *h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "curl_easy_init failed\n");
        return 1;
    }
    /* SigV4 signing must be compiled in (we rely on CURLOPT_AWS_SIGV4). */
    if (curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:lambda") != CURLE_OK) {
        fprintf(stderr, "CURLOPT_AWS_SIGV4 not supported\n");
        return 1;
    }
    /* "localhost" goes through c-ares (/etc/hosts); port 1 is closed, so the
     * expected result is "couldn't connect", not "couldn't resolve". */
    curl_easy_setopt(h, CURLOPT_URL, "http://localhost:1/");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    CURLcode rc = curl_easy_perform(h);
    printf("curl http://localhost:1/ -> %d (%s)\n", rc, curl_easy_strerror(rc));
    curl_easy_cleanup(h);
    curl_global_cleanup();
    if (rc != CURLE_COULDNT_CONNECT && rc != CURLE_OPERATION_TIMEDOUT)
        return 1;

    printf("libpq %d\n", PQlibVersion());
    PGconn *c = PQconnectdb("host=127.0.0.1 port=1 connect_timeout=1");
    ConnStatusType st = PQstatus(c);
    printf("PQconnectdb 127.0.0.1:1 -> %s: %s",
           st == CONNECTION_BAD ? "CONNECTION_BAD (expected)" : "unexpected status",
           PQerrorMessage(c));
    PQfinish(c);
    return st == CONNECTION_BAD ? 0 : 1;
}
