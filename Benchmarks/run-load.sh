#!/usr/bin/env bash
# The load benchmark: builds release, seeds a fresh SQLite store, and drives `sesame serve`
# over loopback with wrk, next to the ceiling (sesame-ceiling: one Hummingbird route with a
# fixed ~300-byte JSON body) under identical wrk settings. Prints one table; see
# docs/PERFORMANCE.md. The whole output is also written to
# $RESULTS/run-load-YYYYMMDD-HHMM.txt (RESULTS defaults to results/ at the repository root,
# which git ignores).
#
# Usage: Benchmarks/run-load.sh            (from anywhere; about 4 minutes after the build)
# Settings (environment):
#   RESULTS=DIR                             where the output file goes (default: ROOT/results)
#   DURATION=10s CONNECTIONS=64 THREADS=2   wrk settings of every scenario and of the ceiling
#   USERS=10000                             users and enduser/kanfang sessions seeded
#   BCRYPT_COST=10                          the server's configured cost (and the users' hashes)
#   MILLION=1                               0 skips the 1,000,000-session phase (memory, start)
#   STORM_CONNECTIONS=8                     login connections during the login storm
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LUA="$ROOT/Benchmarks/Load"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
USERS="${USERS:-10000}"
BCRYPT_COST="${BCRYPT_COST:-10}"
MILLION="${MILLION:-1}"
STORM_CONNECTIONS="${STORM_CONNECTIONS:-8}"
ISSUER="http://sesame.bench"
RESULTS="${RESULTS:-$ROOT/results}"
mkdir -p "$RESULTS"
OUTPUT="$RESULTS/run-load-$(date -u +%Y%m%d-%H%M).txt"
exec > >(tee "$OUTPUT")
echo "== output: $OUTPUT"

if ! command -v wrk >/dev/null; then
  echo "wrk not found: installing the Debian package" >&2
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

echo "== build (release)"
cd "$ROOT"
# Only what the benchmark runs (not the test support, whose HTTP client pulls in TLS).
for product in sesame sesame-ceiling sesame-bench-seed; do
  swift build -c release --product "$product" 2>&1 | tail -n 1
done
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d -t sesame-load-XXXXXX)"
DB="$WORK/sesame.sqlite"
SERVER_PID=""
CEILING_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n "$CEILING_PID" ]]; then kill "$CEILING_PID" 2>/dev/null; wait "$CEILING_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
kib() { awk -v k="$1" '/^'"$1"':/ { print $2 }' "/proc/$2/status"; }
mib() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1024 }'; }
# CPU time (user + system) of a process so far, in clock ticks.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
TICKS="$(getconf CLK_TCK)"
# Resets the peak RSS (VmHWM) of a process to its current RSS (Linux clear_refs, value 5).
reset_peak() { echo 5 > "/proc/$1/clear_refs" 2>/dev/null || true; }

# wait_listening LOGFILE PID: the port the process printed in its "listening on" line.
wait_listening() {
  for _ in $(seq 1 2000); do
    if grep -q "listening on" "$1" 2>/dev/null; then
      grep -m1 -o "listening on http://[^ ]*" "$1" | sed 's/.*://' ; return 0
    fi
    kill -0 "$2" 2>/dev/null || { cat "$1" >&2; echo "server exited" >&2; exit 1; }
    sleep 0.005
  done
  echo "server did not start" >&2; exit 1
}

START_MS=""
start_server() {
  local t0; t0="$(now_ms)"
  "$BIN/sesame" serve --database "sqlite:$DB" --port 0 --issuer "$ISSUER" --bcrypt-cost "$BCRYPT_COST" \
    --kanfang-refresh-requires-credentials false --sweep-interval 0 --log-level warning > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PORT="$(wait_listening "$WORK/server.log" "$SERVER_PID")"
  # The first answered request: /health reads the store.
  until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 0.002; done
  START_MS=$(( $(now_ms) - t0 ))
  URL="http://127.0.0.1:$PORT"
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }

declare -a ROWS=()
# run NAME PID URL SCRIPT ARGS... : one wrk run; records a row with the peak RSS of PID.
run() {
  local name="$1" pid="$2" url="$3" script="$4"; shift 4
  reset_peak "$pid"
  local out before after
  before="$(cpu_ticks "$pid")"
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s -s "$LUA/$script" "$url" -- "$@" | grep '^RESULT')"
  after="$(cpu_ticks "$pid")"
  local peak; peak="$(mib "$(kib VmHWM "$pid")")"
  # Server CPU per request (µs): less sensitive to a shared machine than requests/s.
  local cpu; cpu="$(awk -v t=$(( after - before )) -v hz="$TICKS" -v n="$(field "$out" requests)" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
  ROWS+=("$name $out peak_rss_mib=$peak cpu_us=$cpu")
  echo "  $name: ${out#RESULT } cpu/request ${cpu} µs, peak RSS ${peak} MiB"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }

# The disk's fsync latency now (4 KiB appended and fsync'd 200 times): what durable commits cost.
fsync_probe() {
  python3 - "$WORK/fsync.probe" <<'PY' 2>/dev/null || echo "fsync probe: python3 unavailable"
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600); ts = []
for _ in range(200):
    os.write(fd, b"x" * 4096); t = time.perf_counter(); os.fsync(fd); ts.append(time.perf_counter() - t)
os.close(fd); os.remove(sys.argv[1]); ts.sort()
print("fsync p50 %.2f ms, p90 %.2f ms, p99 %.2f ms" % (ts[100] * 1e3, ts[180] * 1e3, ts[198] * 1e3))
PY
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -m | awk '/Mem:/ {print $2}') MiB, load $(cut -d' ' -f1-3 /proc/loadavg)"

FSYNC_BEFORE="$(fsync_probe)"
echo "== disk: $FSYNC_BEFORE"

echo "== seed: $USERS users, $USERS enduser + $USERS kanfang sessions, bcrypt cost $BCRYPT_COST"
t0="$(now_ms)"
SEED_OUT="$("$BIN/sesame-bench-seed" --database "$DB" --issuer "$ISSUER" --out "$WORK" --users "$USERS" \
  --bcrypt-cost "$BCRYPT_COST" --enduser-sessions "$USERS" --kanfang-sessions "$USERS" --userinfo-sessions 1000 \
  --measure-bcrypt 10)"
echo "  $(grep seeded <<< "$SEED_OUT") (wall $(( $(now_ms) - t0 )) ms)"
BCRYPT_MS="$(sed -n 's/^BCRYPT_MS=//p' <<< "$SEED_OUT")"
echo "  one bcrypt verification at cost $BCRYPT_COST: ${BCRYPT_MS} ms of CPU"

run_ceiling() {
  "$BIN/sesame-ceiling" 0 > "$WORK/ceiling.log" 2>&1 &
  CEILING_PID=$!
  local port; port="$(wait_listening "$WORK/ceiling.log" "$CEILING_PID")"
  run "$1" "$CEILING_PID" "http://127.0.0.1:$port/ceiling" ceiling.lua
  kill "$CEILING_PID"; wait "$CEILING_PID" || true; CEILING_PID=""
}

echo "== ceiling (before)"
run_ceiling ceiling-before

echo "== sesame serve on the seeded store"
start_server
echo "  first request answered ${START_MS} ms after start"
START_SEEDED_MS="$START_MS"
sleep 2
IDLE_RSS="$(mib "$(kib VmRSS "$SERVER_PID")")"
echo "  idle RSS ${IDLE_RSS} MiB"

# Refresh token ranges: every run gets its own sessions (a token presented by two runs would
# be reuse, and revoke its session).
SLICE=$(( USERS / 5 ))
E="$WORK/enduser-refresh.txt"
echo "== scenarios (wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
run warmup "$SERVER_PID" "$URL" refresh-enduser.lua "$E" "$THREADS" 0 "$SLICE"
run refresh-enduser "$SERVER_PID" "$URL" refresh-enduser.lua "$E" "$THREADS" "$SLICE" "$SLICE"
run refresh-kanfang "$SERVER_PID" "$URL" refresh-kanfang.lua "$WORK/kanfang-refresh.txt" "$THREADS" 0 "$USERS"
run userinfo "$SERVER_PID" "$URL" userinfo.lua "$WORK/userinfo-access.txt" "$THREADS"
run login "$SERVER_PID" "$URL" login.lua "$WORK/login-users.txt" "$THREADS"
run mix "$SERVER_PID" "$URL" mix.lua "$E" "$THREADS" $(( 2 * SLICE )) "$SLICE" "$WORK/userinfo-access.txt" "$WORK/login-users.txt"
# Login storm: refreshes while STORM_CONNECTIONS connections log in as fast as they can.
wrk -t1 -c"$STORM_CONNECTIONS" -d"$DURATION" --timeout 5s -s "$LUA/login.lua" "$URL" -- "$WORK/login-users.txt" 1 \
  > "$WORK/storm-logins.txt" &
STORM_WRK=$!
sleep 0.5
run refresh-during-login-storm "$SERVER_PID" "$URL" refresh-enduser.lua "$E" "$THREADS" $(( 3 * SLICE )) "$SLICE"
wait "$STORM_WRK"
STORM_LOGINS="$(grep '^RESULT' "$WORK/storm-logins.txt")"
echo "  (logins meanwhile: ${STORM_LOGINS#RESULT })"
run refresh-enduser-again "$SERVER_PID" "$URL" refresh-enduser.lua "$E" "$THREADS" $(( 4 * SLICE )) "$SLICE"
stop_server

echo "== ceiling (after)"
run_ceiling ceiling-after

MILLION_NOTE=""
if [[ "$MILLION" == "1" ]]; then
  EXTRA=$(( 1000000 - 3 * USERS - 1000 ))
  echo "== 1,000,000 sessions: seeding $EXTRA more"
  t0="$(now_ms)"
  "$BIN/sesame-bench-seed" --database "$DB" --issuer "$ISSUER" --out "$WORK" --prefix m- --bcrypt-cost "$BCRYPT_COST" \
    --enduser-sessions "$EXTRA" --kanfang-sessions 0 --userinfo-sessions 0 --write-at-most "$SLICE" | sed 's/^/  /'
  echo "  (wall $(( $(now_ms) - t0 )) ms; store $(du -m "$DB" | cut -f1) MiB)"
  start_server
  echo "  first request answered ${START_MS} ms after start"
  sleep 2
  IDLE_RSS_MILLION="$(mib "$(kib VmRSS "$SERVER_PID")")"
  echo "  idle RSS ${IDLE_RSS_MILLION} MiB"
  run refresh-enduser-1M "$SERVER_PID" "$URL" refresh-enduser.lua "$WORK/m-enduser-refresh.txt" "$THREADS" 0 "$SLICE"
  PEAK_MILLION="$(mib "$(kib VmHWM "$SERVER_PID")")"
  stop_server
  MILLION_NOTE="1M sessions: start ${START_MS} ms, idle RSS ${IDLE_RSS_MILLION} MiB, peak RSS under refresh load ${PEAK_MILLION} MiB"
fi

# The table: every scenario against the mean of the two ceiling runs.
row() { for r in "${ROWS[@]}"; do [[ "$r" == "$1 "* ]] && { echo "$r"; return; }; done; }
C1="$(field "$(row ceiling-before)" rps)"; C2="$(field "$(row ceiling-after)" rps)"
CEILING="$(awk -v a="$C1" -v b="$C2" 'BEGIN { printf "%.1f", (a + b) / 2 }')"
echo
echo "## Results ($(date -u '+%Y-%m-%d %H:%M UTC'), wrk -t$THREADS -c$CONNECTIONS -d$DURATION, ceiling = mean of $C1 and $C2 req/s)"
echo
echo "| scenario | req/s | × ceiling | p50 ms | p99 ms | p99.9 ms | errors | server CPU µs/req | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${ROWS[@]}"; do
  name="${r%% *}"
  [[ "$name" == warmup ]] && continue
  rps="$(field "$r" rps)"
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$name" "$rps" \
    "$(awk -v a="$rps" -v c="$CEILING" 'BEGIN { printf "%.2f", a / c }')" \
    "$(field "$r" p50)" "$(field "$r" p99)" "$(field "$r" p999)" "$(field "$r" errors)" "$(field "$r" cpu_us)" \
    "$(field "$r" peak_rss_mib)"
done
LOGIN_TARGET="$(awk -v n="$(nproc)" -v ms="$BCRYPT_MS" 'BEGIN { printf "%.1f", 0.9 * n * 1000 / ms }')"
echo
echo "- disk before the run: ${FSYNC_BEFORE}; after: $(fsync_probe); load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- login target (90 % of $(nproc) cores ÷ ${BCRYPT_MS} ms per bcrypt at cost $BCRYPT_COST): ${LOGIN_TARGET} logins/s"
echo "- logins during the storm ($STORM_CONNECTIONS connections): ${STORM_LOGINS#RESULT }"
echo "- start on the seeded store: first request after ${START_SEEDED_MS} ms; idle RSS ${IDLE_RSS} MiB"
# An `if`, not `&&`: with MILLION=0 a false test as the last command made the script exit 1.
if [[ -n "$MILLION_NOTE" ]]; then echo "- $MILLION_NOTE"; fi
