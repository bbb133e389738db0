#!/usr/bin/env bash
# Build minimal STATIC OpenSSL, libcurl and libpq from Debian's source packages
# into .deps/prefix (git-ignored), so Warden's Lambda functions can be linked
# with `swiftc -static-executable` (static glibc) as well as in normal PIE builds.
#
# Usage: bash scripts/deps.sh          (from anywhere; idempotent)
#
# Result in .deps/prefix:
#   include/  openssl/*.h curl/*.h libpq-fe.h libpq-events.h postgres_ext.h pg_config_ext.h
#   lib/      libssl.a libcrypto.a                             (built here)
#             libcurl.a libpq.a libpgcommon.a libpgport.a      (built here against them)
#             libcares.a libz.a                                (copied from Debian)
#   All built with one section per function and object (the link's
#   --gc-sections drops what is unused) and without unwind tables; OpenSSL
#   optimised for size (-Os), curl and libpq for speed (-O2).
#
# Link order (static archives: users before the libraries they use):
#   -L.deps/prefix/lib -lcurl -lpq -lpgcommon -lpgport -lcares -lssl -lcrypto -lz
# The same line works for `gcc -static` / `swiftc -static-executable` and for
# PIE builds. No extra system libraries are needed with bookworm's glibc 2.36
# (libpthread/libdl live in libc.a); older glibc would need -lpthread -ldl.
# -lpq must come before -lssl -lcrypto: libpq alone with them in front leaves
# ~180 undefined OpenSSL references (it only links after -lcurl by accident).
# The static link prints glibc "Using 'X' in statically linked applications
# requires at runtime the shared libraries from the glibc version used for
# linking" warnings for: gethostbyname (libcrypto's BIO_gethostbyname, unused
# by us; built without DSO support, it no longer names dlopen), getaddrinfo
# (libpq, pg_getaddrinfo_all), getpwuid_r (libpgport, used by libpq for the
# default user and, if $HOME is unset, the home directory), getservbyname +
# getservbyport_r (c-ares; curl passes ARES_AI_NUMERICSERV, so they are not
# called). curl resolves through c-ares and never touches glibc NSS; to keep
# libpq away from NSS give it a numeric hostaddr= (resolve first), an explicit
# user= and a $HOME (or passfile=/sslrootcert=).
#
# Steps: install missing build deps (apt) -> enable deb-src -> apt-get source
# openssl, curl and postgresql-15 into .deps/src (once) -> build OpenSSL, then
# curl and libpq against it, out of tree in .deps/build -> install into
# .deps/prefix -> link+run scripts/deps-check/check.c statically and as PIE.
# Build logs: .deps/logs/. A stamp holding the hash of this script, check.c
# and the unpacked source versions skips all of it when nothing changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPS=$ROOT/.deps
SRC=$DEPS/src          # unpacked Debian sources (kept across rebuilds)
BUILD=$DEPS/build      # out-of-tree build directories
PREFIX=$DEPS/prefix
LOGS=$DEPS/logs
STAMP=$DEPS/stamp
CHECK_C=$ROOT/scripts/deps-check/check.c
JOBS=$(nproc)
MULTIARCH_LIB=/usr/lib/x86_64-linux-gnu
SRC_LIST=/etc/apt/sources.list.d/warden-src.sources

# perl: OpenSSL's Configure. libssl-dev: not linked (libssl.a/libcrypto.a are
# built here), but Sources/CCrypto has no -I into .deps and compiles against
# /usr/include/openssl (the same OpenSSL 3.0 API and ABI).
APT_PACKAGES=(build-essential dpkg-dev pkg-config file debian-archive-keyring perl
              libssl-dev zlib1g-dev libc-ares-dev)
LINK_LIBS=(-lcurl -lpq -lpgcommon -lpgport -lcares -lssl -lcrypto -lz)
OUTPUTS=(lib/libcurl.a lib/libpq.a lib/libpgcommon.a lib/libpgport.a
         lib/libcares.a lib/libssl.a lib/libcrypto.a lib/libz.a
         include/openssl/ssl.h include/curl/curl.h include/libpq-fe.h include/libpq-events.h
         include/postgres_ext.h include/pg_config_ext.h)

say() { echo "deps: $*"; }

# run LOG CMD...: append CMD's output to .deps/logs/LOG.log; on failure show its tail and exit.
run() {
    local log=$LOGS/$1.log
    shift
    if ! "$@" >>"$log" 2>&1; then
        echo "deps: FAILED: $*" >&2
        echo "----- tail of $log -----" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}

as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }

# ---------------------------------------------------------------- up to date?
# The unpacked source directories name their versions: a new one (after
# removing .deps/src/<pkg>-*) rebuilds everything.
source_hash() { (cat "${BASH_SOURCE[0]}" "$CHECK_C"; ls "$SRC" 2>/dev/null || true) | sha256sum | cut -d' ' -f1; }
hash=$(source_hash)
up_to_date() {
    [[ -f $STAMP && $(<"$STAMP") == "$hash" ]] || return 1
    local f
    for f in "${OUTPUTS[@]}"; do [[ -f $PREFIX/$f ]] || return 1; done
}
if up_to_date; then
    say "up to date ($PREFIX)"
    exit 0
fi

rm -rf "$BUILD" "$PREFIX" "$LOGS" "$STAMP"
mkdir -p "$SRC" "$BUILD" "$PREFIX/lib" "$PREFIX/include" "$LOGS"

# ------------------------------------------------------------ build packages
missing=()
for p in "${APT_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    say "apt-get install ${missing[*]}"
    # Refresh the package lists only if apt cannot see the packages at all.
    apt-cache show "${missing[@]}" >/dev/null 2>&1 || run apt as_root apt-get update
    run apt as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
fi

# ------------------------------------------------------------ Debian sources
# deb-src stanzas matching this machine's deb822 debian.sources mirrors
# (a classic one-line deb-src entry would conflict with them).
src_repos() {
    cat <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

ensure_src_repos() {
    if [[ $(cat "$SRC_LIST" 2>/dev/null) != "$(src_repos)" ]]; then
        say "enabling deb-src in $SRC_LIST"
        src_repos | as_root tee "$SRC_LIST" >/dev/null
    fi
    # (Captured first: `apt-cache | grep -q` can die of SIGPIPE under pipefail.)
    local index
    index=$(apt-cache showsrc postgresql-15 2>/dev/null || true)
    if ! grep -q '^Package: postgresql-15$' <<<"$index"; then
        say "apt-get update (source indexes)"
        run apt as_root apt-get update
    fi
}

# src_dir PKG: the unpacked source tree of PKG (e.g. .deps/src/curl-7.88.1), or nothing.
src_dir() { find -H "$SRC" -mindepth 1 -maxdepth 1 -type d -name "$1-[0-9]*" -print -quit; }

# fetch_source PKG: `apt-get source` PKG into .deps/src unless already unpacked.
fetch_source() {
    local pkg=$1 tmp=$SRC/.fetch-$1 ok="" v dir p
    [[ -n $(src_dir "$pkg") ]] && return 0
    ensure_src_repos
    # Newest version first; the mirror may not carry the newest index entry
    # yet (404), in which case the next older listed version is used.
    for v in $(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -urV); do
        say "[$pkg] apt-get source $pkg=$v"
        rm -rf "$tmp" && mkdir -p "$tmp"
        if (cd "$tmp" && apt-get source "$pkg=$v") >>"$LOGS/apt.log" 2>&1; then ok=1; break; fi
        say "[$pkg] $v not downloadable, trying an older version"
    done
    [[ -n $ok ]] || { echo "deps: FAILED: apt-get source $pkg" >&2; tail -n 20 "$LOGS/apt.log" >&2; exit 1; }
    dir=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name "$pkg-[0-9]*" -print -quit)
    if [[ $pkg == curl ]]; then
        # Debian's series ends with patches that turn the tree into the
        # GnuTLS/NSS flavours; debian/rules pops them for the OpenSSL build.
        for p in 99_nss.patch 90_gnutls.patch; do
            if grep -qx "$p" "$dir/debian/patches/series"; then
                run apt patch -d "$dir" -R -p1 -s -i "debian/patches/$p"
            fi
        done
    fi
    mv "$dir" "$SRC/"
    rm -rf "$tmp"
}

fetch_source openssl
fetch_source curl
fetch_source postgresql-15
OPENSSL_SRC=$(src_dir openssl)
CURL_SRC=$(src_dir curl)
PG_SRC=$(src_dir postgresql-15)
deb_version() { dpkg-parsechangelog -l "$1/debian/changelog" -S Version; }
say "sources: openssl $(deb_version "$OPENSSL_SRC"), curl $(deb_version "$CURL_SRC"), postgresql-15 $(deb_version "$PG_SRC")"
# The hash above saw .deps/src before any fetch: store the one that names the sources now there.
hash=$(source_hash)

# C flags for everything built here. Function/data sections: the static
# link's --gc-sections keeps only what is reached. No unwind tables
# (.eh_frame): this C code neither throws nor is unwound through (no
# pthread_cancel, no C++ exceptions crossing it); glibc's forced unwinding and
# _Unwind_Backtrace stop cleanly at a frame without unwind data (libc's and
# libgcc's own are kept), and OpenSSL's assembly keeps its CFI. OpenSSL gets
# -Os (its hot paths are assembly either way: no measurable change in
# instructions per warm invocation, bench/compare-commits.sh), curl and libpq
# -O2: at -Os they cost +0.6-0.8 % instructions per warm invocation for 26 KB
# of zip.
SECTION_CFLAGS="-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables"

# ------------------------------------------------------------------- OpenSSL
# Only what our users need: libcurl (HTTPS to AWS endpoints, TLS 1.2/1.3,
# certificate verification against the bundle Sources/Curl/CABundle.swift
# names), libpq (TLS to Postgres with sslmode=require/verify-full, SCRAM-SHA-256
# with channel binding: HMAC, SHA-256, EVP_get_digestbynid; MD5 for md5 auth)
# and Sources/CCrypto (SHA-256, HMAC, RAND, RSA PKCS#1 v1.5 and ECDSA P-256
# verification through EVP/OSSL_PARAM). Statically linked, the default
# provider's dispatch tables name every algorithm that is built, so each
# `no-` below is code that no longer reaches a bootstrap; function and data
# sections (SECTION_CFLAGS) let the link's --gc-sections drop unreferenced
# functions inside the objects that remain. Kept on purpose: the error
# strings (curl and libpq put them in their messages), ChaCha20-Poly1305 (a
# TLS 1.3 suite servers may pick), X25519/X448 and Ed25519/Ed448 (no switch
# apart from EC in 3.0), SHA-1/MD5 (certificate chains, libpq), the
# deprecated API level (CCrypto's SHA256_Init, curl, libpq), config-file
# loading (the local tools use it; a bootstrap skips it at run time, see
# warden_curl_global_init), and no no-autoalginit (libpq's
# channel binding looks digests up by NID).
# --prefix/--openssldir/--libdir are Debian's, so the compiled-in directories
# (openssl.cnf, unused engine/module dirs) behave as with Debian's libcrypto
# and no checkout path ends up in a bootstrap; `make install_dev` goes to a
# staging DESTDIR whose headers and archives are copied into .deps/prefix.
OPENSSL_OPTIONS=(
    no-shared no-module no-dso no-engine no-legacy no-tests no-unit-test
    no-filenames no-ui-console no-async no-comp no-zlib no-ssl-trace
    # protocols and TLS extensions nobody here speaks
    no-ssl3 no-ssl3-method no-tls1 no-tls1-method no-tls1_1 no-tls1_1-method
    no-dtls no-dgram no-srp no-psk no-srtp no-nextprotoneg no-ct no-ocsp
    # PKI formats and protocols outside TLS
    no-cms no-cmp no-ts no-rfc3779
    # algorithms outside what TLS 1.2/1.3 with ECDHE, RSA/ECDSA certificates and JWS use
    no-aria no-bf no-blake2 no-camellia no-cast no-cmac no-des no-dh no-dsa
    no-ec2m no-gost no-idea no-md4 no-mdc2 no-multiblock no-ocb no-rc2 no-rc4
    no-rc5 no-rmd160 no-scrypt no-seed no-siphash no-siv no-sm2 no-sm3 no-sm4
    no-whirlpool
)
say "[openssl] configure"
mkdir -p "$BUILD/openssl"
(cd "$BUILD/openssl" && run openssl-configure env CFLAGS="-Os $SECTION_CFLAGS -Wall" \
    "$OPENSSL_SRC/Configure" linux-x86_64 --prefix=/usr --openssldir=/usr/lib/ssl \
    --libdir=lib/x86_64-linux-gnu "${OPENSSL_OPTIONS[@]}")
say "[openssl] make build_libs"
run openssl-make make -C "$BUILD/openssl" -j"$JOBS" build_libs
run openssl-make make -C "$BUILD/openssl" install_dev DESTDIR="$BUILD/openssl-root"
cp -R "$BUILD/openssl-root/usr/include/openssl" "$PREFIX/include/"
install -m644 "$BUILD/openssl-root/usr/lib/x86_64-linux-gnu/libssl.a" \
              "$BUILD/openssl-root/usr/lib/x86_64-linux-gnu/libcrypto.a" "$PREFIX/lib/"
for want in OPENSSL_NO_DES OPENSSL_NO_ENGINE OPENSSL_NO_DSO; do
    grep -q "# *define $want\b" "$PREFIX/include/openssl/configuration.h" ||
        { echo "deps: FAILED: OpenSSL was configured without $want" >&2; exit 1; }
done
OPENSSL_VERSION=$(sed -n 's/^# *define OPENSSL_FULL_VERSION_STR "\(.*\)"$/\1/p' "$PREFIX/include/openssl/opensslv.h")
say "[openssl] $OPENSSL_VERSION: libcrypto.a $(stat -c %s "$PREFIX/lib/libcrypto.a") bytes, libssl.a $(stat -c %s "$PREFIX/lib/libssl.a") bytes"

export CFLAGS="-O2 $SECTION_CFLAGS -fPIC"

# ------------------------------------------------------------------- libcurl
# HTTP(S) only, our OpenSSL (its headers and archives in .deps/prefix; with
# no openssl.pc there, configure uses -I/-L of that prefix), c-ares resolver
# (no glibc NSS), zlib. SigV4
# (CURLOPT_AWS_SIGV4) is always built in 7.88 when HTTP and crypto auth are on;
# there is no --enable-aws switch before curl 8.x. No CA bundle/path is
# compiled in: callers set CURLOPT_CAINFO.
say "[curl] configure"
mkdir -p "$BUILD/curl"
(cd "$BUILD/curl" && run curl-configure "$CURL_SRC/configure" \
    --prefix="$PREFIX" --disable-shared --enable-static --disable-dependency-tracking \
    --with-openssl="$PREFIX" --enable-ares --with-zlib \
    --without-libpsl --without-libidn2 --without-nghttp2 --without-nghttp3 \
    --without-ngtcp2 --without-brotli --without-zstd --without-librtmp \
    --without-libssh2 --without-libssh --without-gssapi --without-libgsasl \
    --disable-ldap --disable-ldaps --disable-manual --disable-ntlm-wb --disable-netrc \
    --without-ca-bundle --without-ca-path \
    --disable-ftp --disable-file --disable-dict --disable-telnet --disable-tftp \
    --disable-pop3 --disable-imap --disable-smtp --disable-gopher --disable-mqtt \
    --disable-rtsp --disable-smb \
    --disable-ntlm --disable-tls-srp --disable-cookies --disable-mime --disable-alt-svc --disable-hsts \
    --disable-doh --disable-proxy --disable-verbose --disable-dateparse --disable-progress-meter)
say "[curl] make (library only)"
run curl-make make -C "$BUILD/curl/lib" -j"$JOBS"
run curl-make make -C "$BUILD/curl/lib" install
run curl-make make -C "$BUILD/curl/include" install
run curl-make make -C "$BUILD/curl" install-binSCRIPTS install-pkgconfigDATA

features=$("$PREFIX/bin/curl-config" --features)
protocols=$("$PREFIX/bin/curl-config" --protocols)
static_libs=$("$PREFIX/bin/curl-config" --static-libs)
for want in AsynchDNS SSL libz; do
    grep -qx "$want" <<<"$features" || { echo "deps: FAILED: curl lacks feature $want" >&2; exit 1; }
done
for want in HTTP HTTPS; do
    grep -qx "$want" <<<"$protocols" || { echo "deps: FAILED: curl lacks protocol $want" >&2; exit 1; }
done
grep -qw -- -lcares <<<"$static_libs" ||
    { echo "deps: FAILED: curl is not using c-ares" >&2; exit 1; }
say "[curl] features: ${features//$'\n'/ }; protocols: ${protocols//$'\n'/ }"

# --------------------------------------------------------------------- libpq
# Client library only (no server), against our OpenSSL; the release tarball
# ships the generated parser/keyword files, so neither bison nor flex is needed.
say "[libpq] configure"
mkdir -p "$BUILD/postgresql"
(cd "$BUILD/postgresql" && run libpq-configure "$PG_SRC/configure" \
    --prefix="$PREFIX" --with-openssl --with-includes="$PREFIX/include" \
    --with-libraries="$PREFIX/lib" --without-readline --without-zlib \
    --without-icu --without-gssapi --without-ldap --without-pam \
    --without-systemd --without-lz4 --without-zstd --disable-nls)
say "[libpq] make -C src/interfaces/libpq"
# Generated headers (errcodes.h, …) first: a parallel libpq build can otherwise race src/port against them.
run libpq-make make -C "$BUILD/postgresql/src/backend" generated-headers
run libpq-make make -C "$BUILD/postgresql/src/interfaces/libpq" -j"$JOBS"
# libpq.a does not contain the src/common and src/port objects it needs; the
# *_shlib variants are the ones libpq itself is built against.
install -m644 "$BUILD/postgresql/src/interfaces/libpq/libpq.a" "$PREFIX/lib/libpq.a"
install -m644 "$BUILD/postgresql/src/common/libpgcommon_shlib.a" "$PREFIX/lib/libpgcommon.a"
install -m644 "$BUILD/postgresql/src/port/libpgport_shlib.a" "$PREFIX/lib/libpgport.a"
install -m644 "$PG_SRC/src/interfaces/libpq/libpq-fe.h" \
              "$PG_SRC/src/interfaces/libpq/libpq-events.h" \
              "$PG_SRC/src/include/postgres_ext.h" \
              "$BUILD/postgresql/src/include/pg_config_ext.h" "$PREFIX/include/"

# ------------------------------------------------------- Debian static libs
# Copied next to ours so one -L resolves everything statically (a directory's
# .a is found before the system's .so).
say "[system] copying libcares.a libz.a"
for a in libcares.a libz.a; do
    install -m644 "$MULTIARCH_LIB/$a" "$PREFIX/lib/$a"
done

# -------------------------------------------------------------- verification
say "[check] linking scripts/deps-check/check.c (static and PIE)"
CHECK=$BUILD/check
mkdir -p "$CHECK"
cc_check() {
    gcc -O2 -Wall -I"$PREFIX/include" "$CHECK_C" -L"$PREFIX/lib" "$@"
}
# Static link: keep glibc's warnings (getaddrinfo/getpwuid_r/dlopen) visible.
if ! cc_check -static -o "$CHECK/static-check" "${LINK_LIBS[@]}" \
        >"$LOGS/check-static-link.log" 2>&1; then
    echo "deps: FAILED: static link" >&2; cat "$LOGS/check-static-link.log" >&2; exit 1
fi
grep -o "warning: Using '[a-z_]*'" "$LOGS/check-static-link.log" | sort -u |
    sed "s/^/deps: [check] expected static-glibc /" || true
run check-pie-link cc_check -o "$CHECK/pie-check" "${LINK_LIBS[@]}"

static_type=$(file -b "$CHECK/static-check")
pie_type=$(file -b "$CHECK/pie-check")
pie_needed=$(readelf -d "$CHECK/pie-check" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[[ $static_type == *"statically linked"* ]] ||
    { echo "deps: FAILED: static-check is not statically linked: $static_type" >&2; exit 1; }
[[ $pie_type == *"pie executable"* ]] ||
    { echo "deps: FAILED: pie-check is not a PIE: $pie_type" >&2; exit 1; }
if grep -Eq 'curl|ssl|crypto|libpq|cares|libz' <<<"$pie_needed"; then
    echo "deps: FAILED: pie-check links a dependency dynamically: ${pie_needed//$'\n'/ }" >&2; exit 1
fi
for exe in static-check pie-check; do
    say "[check] running $exe"
    if ! "$CHECK/$exe" >"$LOGS/$exe.log" 2>&1; then
        echo "deps: FAILED: $exe" >&2; cat "$LOGS/$exe.log" >&2; exit 1
    fi
    sed 's/^/    /' "$LOGS/$exe.log"
    # libcurl names the libssl it was linked with: ours, not a system one.
    grep -q "OpenSSL/$OPENSSL_VERSION," "$LOGS/$exe.log" ||
        { echo "deps: FAILED: $exe does not report OpenSSL/$OPENSSL_VERSION" >&2; exit 1; }
done

echo "$hash" >"$STAMP"
say "done in ${SECONDS}s -> $PREFIX"
