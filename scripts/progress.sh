# Sourced by scripts/test.sh, run.sh and package.sh: progress lines for their long steps. Whole lines only (no
# carriage returns), so a CI log reads like the terminal: a line each tenth of a build, and at least one every
# WARDEN_PROGRESS_SECONDS (default 20) while a step runs.
# shellcheck shell=bash

# progress_clock SECONDS: m:ss
progress_clock() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# progress_filter LABEL SHOW [QUIET]: reads a step's output on stdin (the caller keeps the whole of it, with tee) and
# prints, as they come:
#   - each line matching the extended regex SHOW (SHOW empty: none), except glibc's notices about the static link
#     ("Using 'dlopen' in statically linked applications requires at runtime …", see scripts/deps.sh);
#   - for SwiftPM's "[N/M] Compiling Module a.swift, …" lines, "LABEL N/M (P%, m:ss) Compiling Module" at each tenth
#     of the way, or when the last line printed is WARDEN_PROGRESS_SECONDS old, and where the build ended;
#   - after WARDEN_PROGRESS_SECONDS without a line printed, "LABEL still running (m:ss): <the last progress or SHOW
#     line>", unless QUIET is "quiet" (for a step whose SHOW lines report its progress themselves).
# Reads to the end of its input and returns 0 whatever it reads: the step's exit status is the caller's to keep.
progress_filter() {
    local label="$1" show="$2" quiet="${3:-}" every="${WARDEN_PROGRESS_SECONDS:-20}"
    local start=$SECONDS last=$SECONDS line partial="" shown="" where rc wait n m counts="" pct="" tenth=0 printed="" what=""
    local -a words
    local counter='^\[([0-9]+)/([0-9]+)\] (.*)$' notice='in statically linked applications'
    while :; do
        wait=$((last + every - SECONDS))
        ((wait >= 1)) || wait=1
        line=""
        IFS= read -r -t "$wait" line && rc=0 || rc=$?
        if ((rc > 128)); then
            # Timed out: what came of a line so far belongs to the next read.
            partial+="$line"
            if [ "$quiet" != quiet ] && ((SECONDS - last >= every)); then
                where=${counts:+$counts${pct:+ ($pct)} $what}
                where=${where:-${shown#"$label "}}
                echo "$label still running ($(progress_clock $((SECONDS - start))))${where:+: $where}"
                last=$SECONDS
            fi
            continue
        fi
        line="$partial$line"
        partial=""
        if ((rc != 0)) && [ -z "$line" ]; then break; fi
        if [[ $line =~ $counter ]]; then
            n=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]}
            # "Compiling Postgres Connection.swift, …" -> "Compiling Postgres"; "Emitting module NIOCore" as it is.
            read -r -a words <<<"${BASH_REMATCH[3]}"
            what="${words[*]:0:2}"
            [ "${words[1]:-}" != module ] || what="${words[*]:0:3}"
            what=${what:0:60}
            # SwiftPM's total grows while it builds (it plans the next jobs as it goes): the percentage can fall back,
            # so a tenth is shown once, the first time it is reached. A total under 20 is a plan or a no-op build:
            # no percentage.
            pct=""
            ((m < 20)) || pct="$((n * 100 / m))%"
            counts="$n/$m"
            if { [ -n "$pct" ] && ((${pct%\%} / 10 > tenth)); } || ((SECONDS - last >= every)); then
                [ -z "$pct" ] || ((${pct%\%} / 10 <= tenth)) || tenth=$((${pct%\%} / 10))
                echo "$label $counts (${pct:+$pct, }$(progress_clock $((SECONDS - start)))) $what"
                last=$SECONDS
                printed="$counts $what"
            fi
        fi
        if [ -n "$show" ] && [[ $line =~ $show ]] && [[ ! $line =~ $notice ]]; then
            echo "$line"
            shown=$line
            last=$SECONDS
        fi
        ((rc == 0)) || break
    done
    # A build that showed its progress shows where it ended ("661/662 (99%, 1:15) Linking warden").
    if [ -n "$printed" ] && [ "$printed" != "$counts $what" ]; then
        echo "$label $counts (${pct:+$pct, }$(progress_clock $((SECONDS - start)))) $what"
    fi
    return 0
}
