#!/usr/bin/env bash
# Refresh phases for A/B comparisons: seeds a fresh SQLite store with the given binaries, starts
# `sesame serve` on it and runs PHASES chained enduser refresh phases of DURATION each (every
# phase on tokens no earlier phase used), printing for each: requests/s, p50/p99 in ms, the
# server's CPU per request and the sizes of the WAL and database files.
#
# Usage: Benchmarks/refresh-phases.sh            (binaries of .build/release; build them first)
#        BIN=/tmp/before Benchmarks/refresh-phases.sh
# Compare two builds by alternating them (A B A B), minutes apart: this machine is shared and
# figures drift between runs.
#
# Settings: BIN (directory holding `sesame` and `sesame-bench-seed`), USERS=10000, PHASES=4,
# DURATION=8s, CONNECTIONS=64, THREADS=2.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LUA="$ROOT/Benchmarks/Load"
BIN="${BIN:-$ROOT/.build/release}"
USERS="${USERS:-10000}"
PHASES="${PHASES:-4}"
DURATION="${DURATION:-8s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
ISSUER=http://sesame.bench

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
WORK="$(mktemp -d -t sesame-phases-XXXXXX)"
DB="$WORK/sesame.sqlite"
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN/sesame-bench-seed" --database "$DB" --issuer "$ISSUER" --out "$WORK" --users "$USERS" --bcrypt-cost 10 \
  --enduser-sessions "$USERS" --kanfang-sessions 100 --userinfo-sessions 100 >/dev/null
"$BIN/sesame" serve --database "sqlite:$DB" --port 0 --issuer "$ISSUER" --bcrypt-cost 10 --sweep-interval 0 \
  --log-level warning >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 500); do grep -q "listening on" "$WORK/server.log" && break; sleep 0.01; done
PORT="$(grep -m1 -o 'listening on http://[^ ]*' "$WORK/server.log" | sed 's/.*://')"
URL="http://127.0.0.1:$PORT"

cpu_ticks() { sed 's/^.*) //' "/proc/$SERVER_PID/stat" | awk '{print $12 + $13}'; }
SLICE=$(( USERS / (PHASES + 1) ))
echo "== $BIN, $PHASES phases of $DURATION, wrk -t$THREADS -c$CONNECTIONS, load $(cut -d' ' -f1-3 /proc/loadavg)"
for k in $(seq 0 $(( PHASES - 1 ))); do
  before=$(cpu_ticks)
  result="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s -s "$LUA/refresh-enduser.lua" "$URL" -- \
    "$WORK/enduser-refresh.txt" "$THREADS" $(( k * SLICE )) "$SLICE" | grep '^RESULT')"
  after=$(cpu_ticks)
  requests="$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$result")"
  ticks_per_second="$(getconf CLK_TCK)"
  cpu_us=$(( (after - before) * 1000000 / ticks_per_second / (requests > 0 ? requests : 1) ))
  echo "phase $((k + 1)): ${result#RESULT } cpu/request ${cpu_us} µs, wal $(stat -c %s "$DB-wal") B, db $(stat -c %s "$DB") B"
done
