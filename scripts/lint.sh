#!/usr/bin/env bash
# `make lint`, and the first step of `make test`: the Swift code follows .swift-format. Fails on any finding.
#
# What is checked: swift-format's rules (`swift format lint --strict`, the toolchain's swift-format) over Sources,
# functions, Tests, bench/*-tool and fuzz, and that no line is longer than the configuration's lineLength.
# What is not: the layout swift-format's pretty-printer would give (where continuation lines are indented, where
# long argument lists break, spacing). The code is not laid out by swift-format, and hundreds of places differ from
# what it would print; --debug-disable-pretty-print keeps those out of the findings, so the line length is checked
# here instead. So do not run `swift format format` over the tree: it would re-lay every file out.
#
# Rules off in .swift-format, because the code does otherwise (the findings each would raise when it was written):
# OrderedImports (28: a file's `#if canImport(Glibc)` import block comes first), OneVariableDeclarationPerLine (29:
# `var keys: [String] = [], rates: [Double] = []`), ReplaceForEachWithForLoop (3), UseEarlyExits (2),
# AlwaysUseLiteralForEmptyCollectionInit (2), UseWhereClausesInForLoops (1), NoAccessLevelOnExtensionDeclaration (1),
# GroupNumericLiterals (1, a Unix time in a test), and the documentation rules (AllPublicDeclarationsHaveDocumentation
# 205, BeginDocumentationCommentWithOneLineSummary 253, ValidateDocumentationComments 37).
#
# Tests may force-unwrap and force-try (a crash there is a failed test, not an outage) and name a helper after what it
# stands for (Crypto_hex for Crypto.hex): they are checked with NeverForceUnwrap, NeverUseForceTry and
# AlwaysUseLowerCamelCase off, everything else as in .swift-format.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

config=.swift-format
sources=(Sources functions bench/*-tool fuzz)
tests=(Tests)
tests_config="$(python3 - "$config" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
for rule in ("NeverForceUnwrap", "NeverUseForceTry", "AlwaysUseLowerCamelCase"):
    config["rules"][rule] = False
print(json.dumps(config))
PY
)"

failed=0
lint() { swift format lint --strict --debug-disable-pretty-print --configuration "$1" -r "${@:2}" || failed=1; }
lint "$config" "${sources[@]}"
lint "$tests_config" "${tests[@]}"

# The line length: characters (C.UTF-8), as an editor counts columns.
max="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["lineLength"])' "$config")"
long="$(LC_ALL=C.UTF-8 grep -rnE --include='*.swift' "^.{$((max + 1)),}" "${sources[@]}" "${tests[@]}")" || [ $? = 1 ]
if [ -n "$long" ]; then
    sed -E "s/^([^:]*:[0-9]+):.*/\1: error: [LineLength] line longer than $max characters/" <<<"$long" >&2
    failed=1
fi

files="$(find "${sources[@]}" "${tests[@]}" -name '*.swift' | wc -l)"
if [ "$failed" != 0 ]; then
    echo "lint: style findings above in the $files Swift files (rules: .swift-format; what is checked: scripts/lint.sh)" >&2
    exit 1
fi
echo "lint: $files Swift files follow .swift-format"
