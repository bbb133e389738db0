#!/usr/bin/env bash
# Builds every function (or those named as arguments) in release mode as a fully static, stripped executable and
# zips it as dist/<function>.zip holding exactly one entry, `bootstrap` (mode 0755), byte-identical on a rebuild.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/functions.sh
bash scripts/deps.sh
command -v zip >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q zip >/dev/null; }
mapfile -t fns < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else warden_functions "$root"; fi)
scratch=.build-static
# Fully static (glibc), optimised for size, without the implicit _StringProcessing import (regex tables ~1 MB),
# identical code folded, no build id (reproducible bytes).
flags=(-c release --scratch-path "$scratch"
    -Xswiftc -static-executable -Xswiftc -Osize
    -Xswiftc -Xfrontend -Xswiftc -disable-implicit-string-processing-module-import
    -Xlinker --icf=safe -Xlinker --build-id=none)
for fn in "${fns[@]}"; do
    swift build "${flags[@]}" --product "$fn" 2>&1 | grep -vE '^(\[|Building|Build of|Compiling|Write|Linking|Planning|Creating working copy|Working copy of|Fetching|Computing|Computed)|in statically linked applications requires at runtime' || true
    bin="$scratch/release/$fn"
    [ -x "$bin" ] || { echo "package: build of $fn failed" >&2; exit 1; }
    stage="dist/$fn"
    rm -rf "$stage" && mkdir -p "$stage"
    strip --strip-all -o "$stage/bootstrap" "$bin"
    chmod 0755 "$stage/bootstrap"
    TZ=UTC touch -t 198001010000 "$stage/bootstrap"
    rm -f "dist/$fn.zip"
    (cd "$stage" && TZ=UTC zip -q -9 -X -D "../$fn.zip" bootstrap)
    printf 'package: dist/%s.zip %s bytes (bootstrap %s bytes)\n' "$fn" "$(stat -c %s "dist/$fn.zip")" "$(stat -c %s "$stage/bootstrap")"
done
