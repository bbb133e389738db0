#!/usr/bin/env bash
# Builds every function (or those named as arguments) in release mode as a fully static, stripped executable and
# zips it as dist/<function>.zip holding exactly one entry, `bootstrap` (mode 0755), byte-identical on a rebuild.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/functions.sh
bash scripts/deps.sh
for tool in zip:zip advzip:advancecomp strip:binutils; do
    command -v "${tool%%:*}" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${tool##*:}" >/dev/null
done
mapfile -t fns < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else warden_functions "$root"; fi)
scratch="${WARDEN_STATIC_SCRATCH:-.build-static}"
dist="${WARDEN_DIST:-dist}"
# Fully static (glibc), optimised for size, without the implicit _StringProcessing import (regex tables ~1 MB), one
# section per Swift function (so the link's --gc-sections drops the unused ones, as it does for the C libraries
# scripts/deps.sh builds), identical code folded, no build id (reproducible bytes).
# Resident memory: the kernel maps a program's text 64 KiB at a time around each page it runs (fault-around), and a
# 2 MiB page-cache folio whole when the segment's address and file offset agree modulo 2 MiB. So the sections that
# the warm path runs go first, together (scripts/text-order.txt, from a profile: scripts/layout-profile.sh), and the
# text segment starts 4 KiB past a 2 MiB boundary, where no 2 MiB mapping fits: a warm calculate_health keeps 1.1 to
# 1.8 MiB less of its text resident (the zip grows ~13 KB). gold (swiftc's linker here) orders by section name.
flags=(-c release --scratch-path "$scratch"
    -Xswiftc -static-executable -Xswiftc -Osize -Xswiftc -Xfrontend -Xswiftc -function-sections
    -Xswiftc -Xfrontend -Xswiftc -disable-implicit-string-processing-module-import
    -Xlinker --icf=safe -Xlinker --build-id=none
    -Xlinker --section-ordering-file="$root/scripts/text-order.txt" -Xlinker -Ttext-segment=0x401000)
source scripts/progress.sh
# Each function: "package: [3/11] calculate_health", its build's progress, then its zip's size.
i=0
for fn in "${fns[@]}"; do
    i=$((i + 1))
    echo "package: [$i/${#fns[@]}] $fn"
    log="$(mktemp)"
    # swift build does not see the order file as an input of the link: a product older than the file is linked again.
    [ "$scratch/release/$fn" -nt scripts/text-order.txt ] || rm -f "$scratch/release/$fn"
    if ! swift build "${flags[@]}" --product "$fn" 2>&1 | tee "$log" | progress_filter "package: [$i/${#fns[@]}] $fn build" ''; then
        cat "$log" >&2; rm -f "$log"; echo "package: build of $fn failed" >&2; exit 1
    fi
    # Our code builds without warnings; the static link's glibc NSS notices concern code paths we avoid.
    grep -E 'warning:|error:' "$log" | grep -v 'in statically linked applications requires at runtime' || true
    rm -f "$log"
    bin="$scratch/release/$fn"
    stage="$dist/$fn"
    rm -rf "$stage" && mkdir -p "$stage"
    # .swift_modhash holds a hash of the build paths: not used at run time, and it would make bytes path-dependent.
    strip --strip-all --remove-section=.swift_modhash -o "$stage/bootstrap" "$bin"
    chmod 0755 "$stage/bootstrap"
    TZ=UTC touch -t 198001010000 "$stage/bootstrap"
    rm -f "$dist/$fn.zip"
    (cd "$stage" && TZ=UTC zip -q -9 -X -D "../$fn.zip" bootstrap)
    # Recompress with 7-Zip's deflate (deterministic; about 4% smaller than zip -9).
    advzip -z -2 -q "$dist/$fn.zip"
    printf 'package: %s/%s.zip %s bytes (bootstrap %s bytes)\n' "$dist" "$fn" "$(stat -c %s "$dist/$fn.zip")" "$(stat -c %s "$stage/bootstrap")"
done
