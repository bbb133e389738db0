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
#     of the way, or when the last line printed is WARDEN_PROGRESS_SECONDS old;
#   - after WARDEN_PROGRESS_SECONDS without a line printed, "LABEL still running (m:ss): <the last progress or SHOW
#     line>", unless QUIET is "quiet" (for a step whose SHOW lines report its progress themselves).
# Reads to the end of its input and returns 0 whatever it reads: the step's exit status is the caller's to keep.
progress_filter() {
    local label="$1" show="$2" quiet="${3:-}" every="${WARDEN_PROGRESS_SECONDS:-20}"
    local start=$SECONDS last=$SECONDS line partial="" status="" shown="" where rc wait n m pct total=-1 next=0 what word
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
                where=${status:-${shown#"$label "}}
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
            # "Compiling Postgres Connection.swift, Result.swift" -> "Compiling Postgres"
            read -r -a words <<<"${BASH_REMATCH[3]}"
            what=""
            for word in "${words[@]}"; do
                [[ $word == *[./]* ]] && break
                what+="${what:+ }$word"
            done
            pct=$((m > 0 ? n * 100 / m : 0))
            # SwiftPM announces its total as it plans ("[1/1] Planning build", then "[2/480] …"): a new total
            # starts the count of tenths over from where it stands.
            if ((m != total)); then total=$m next=$(((pct / 10 + 1) * 10)); fi
            status="$n/$m ($pct%) ${what:0:60}"
            if ((pct >= next)) || ((SECONDS - last >= every)); then
                echo "$label $n/$m ($pct%, $(progress_clock $((SECONDS - start)))) ${what:0:60}"
                next=$(((pct / 10 + 1) * 10))
                last=$SECONDS
            fi
        fi
        if [ -n "$show" ] && [[ $line =~ $show ]] && [[ ! $line =~ $notice ]]; then
            echo "$line"
            shown=$line
            last=$SECONDS
        fi
        ((rc == 0)) || break
    done
    return 0
}
