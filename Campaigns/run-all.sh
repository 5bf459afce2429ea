#!/usr/bin/env bash
# Runs every reliability campaign with reduced counts: a smoke check (about 8 minutes on
# 2 cores). The full campaigns and their figures: docs/RELIABILITY.md.
#
#   Campaigns/run-all.sh                       # SQLite, fresh temporary stores
#   Campaigns/run-all.sh --database postgres://USER:PW@HOST:PORT/DB    # PostgreSQL, fresh schemas
#   SESAME_BIN=path/to/sesame Campaigns/run-all.sh                     # skip the release build
#
# Exits non-zero if any campaign misses a bar; prints each campaign's figures table.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
db=()
if [ "${1:-}" = "--database" ] && [ -n "${2:-}" ]; then db=(--database "$2"); fi

if [ -z "${SESAME_BIN:-}" ]; then
    (cd "$repo" && swift build -c release --product sesame) || exit 1
    SESAME_BIN="$(cd "$repo" && swift build -c release --show-bin-path)/sesame"
fi
export SESAME_BIN

failed=()
run() {
    local name="$1"; shift
    echo "=== $name: $*" >&2
    if ! python3 "$here/$name.py" "$@" "${db[@]}"; then failed+=("$name"); fi
}
run race --rounds 300 --sample-every 50
run crash --sessions 300 --kills 3
run fuzz --requests 3000
run leaks
run enumeration --attempts 100 --warmup 4
run soak --minutes 2.5 --warmup-minutes 1.5 --interval 5

if [ "${#failed[@]}" -gt 0 ]; then
    echo "run-all: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "run-all: every campaign met its bars" >&2
