# Sourced by the other scripts: the list of tool functions (each is functions/<name>/ and a product <name>).
# shellcheck shell=bash
warden_functions() {
    local root="$1" d
    for d in "$root"/functions/*/; do
        [ -f "$d/main.swift" ] && basename "$d"
    done
}
