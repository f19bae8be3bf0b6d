#!/usr/bin/env bash
# HTTP load benchmark for the Hanjinbi storefront and JSON API.
#
# What it does, for each backend (embedded SQLite, then PostgreSQL when one answers on
# 127.0.0.1:5432):
#   1. starts `hanjinbi serve --demo` on a free port with a fresh data folder (SQLite) or a
#      fresh database (PostgreSQL), which migrates and loads the 72-product demo catalog,
#      checks every endpoint below answers 200, and stops it;
#   2. starts it again STARTS times on that already-migrated, already-demo-loaded database and
#      times launch -> first 200 from /healthz (the start-up time; median, min and max);
#   3. on the last of those processes: waits SETTLE seconds and reads the idle RSS (VmRSS),
#      then loads each endpoint in turn with wrk for DURATION seconds (after a WARMUP-second
#      run that is discarded), sampling VmRSS during the load for the peak under load;
#   4. stops the server with SIGTERM, waits for it to exit, and prints a Markdown table.
#
# Endpoints: bare GET /ping (no database, no template: the server's floor), home, a category
# page, a product page, a search, and the API's product list. The "× bare" column is each
# endpoint's rate divided by /ping's rate in the same run, which is what to compare between
# runs: the absolute figures move with whatever else the machine is doing.
#
# Usage:   bench/http-load.sh            (from anywhere; it finds the workspace itself)
# Knobs (environment):
#   DURATION=10      seconds of measured load per endpoint
#   WARMUP=2         seconds of discarded load before each measured run (0 to skip)
#   CONNECTIONS=32   concurrent HTTP/1.1 keep-alive connections
#   THREADS=2        wrk threads (1 or 2: the load generator shares the machine's cores)
#   SETTLE=2         seconds to wait after start-up before reading the idle RSS
#   STARTS=3         timed second starts for the start-up figure
#   SKIP_BUILD=1     use the existing target/release/hanjinbi instead of building it
#   HANJINBI_BIN=…   benchmark this binary instead (implies no build)
#   BACKENDS="sqlite postgres"   which backends to run
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGADMIN_DB=test   where PostgreSQL is
#
# The load tool is wrk (installed with `apt-get install -y wrk` when missing). oha is not used
# even when present, so that every figure this script has ever printed comes from one tool
# and one output parser.
#
# Requires: bash, curl, wrk (or root + apt-get), python3 (free port), psql/pg_isready for
# PostgreSQL. Everything it creates (temporary folder, database, server processes) is
# removed on exit, also on failure or Ctrl-C.

set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
SETTLE=${SETTLE:-2}
STARTS=${STARTS:-3}
SKIP_BUILD=${SKIP_BUILD:-0}
BACKENDS=${BACKENDS:-sqlite postgres}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
PGADMIN_DB=${PGADMIN_DB:-test}

# name|path — the first one is the reference ("bare") for the ratio column.
ENDPOINTS=(
  "bare|/ping"
  "home|/"
  "category|/danh-muc/ao"
  "product|/san-pham/ao-khoac-jean-nu"
  "search|/tim-kiem?q=ao+khoac"
  "API list|/api/v1/products?per_page=24"
)
# The pages the target applies to: at least half the bare rate on SQLite.
TARGET_RATIO=0.50
TARGET_PAGES=("home" "category" "product" "search" "API list")

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hanjinbi-bench.XXXXXX")
SERVER_PID=""
SAMPLER_PID=""
PG_DB=""

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  local rc=$?
  if [[ -n $SAMPLER_PID ]]; then kill "$SAMPLER_PID" 2>/dev/null || true; fi
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n $PG_DB ]]; then
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGADMIN_DB" -qAtc \
      "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
      log "warning: could not drop the database $PG_DB"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for knob in DURATION WARMUP CONNECTIONS THREADS SETTLE STARTS; do
  [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a whole number, not '${!knob}'"
done
((DURATION >= 1)) || die "DURATION must be at least 1"
((CONNECTIONS >= 1)) || die "CONNECTIONS must be at least 1"
((THREADS >= 1 && THREADS <= CONNECTIONS)) || die "THREADS must be between 1 and CONNECTIONS"
((STARTS >= 1)) || die "STARTS must be at least 1"

# ---------------------------------------------------------------------------- load tool ---
if ! command -v wrk >/dev/null 2>&1; then
  log "wrk is not installed; installing it with apt-get (Debian package 'wrk')"
  [[ $(id -u) == 0 ]] || die "wrk is missing and this is not root: run 'sudo apt-get install -y wrk'"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y wrk >&2 ||
    die "apt-get install -y wrk failed"
fi
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (to find a free port)"

# -------------------------------------------------------------------------------- build ---
if [[ -n ${HANJINBI_BIN:-} ]]; then
  BIN=$HANJINBI_BIN
else
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/hanjinbi
  if [[ $SKIP_BUILD != 1 ]]; then
    log "building: cargo build --release -p hanjinbi"
    (cd "$ROOT" && cargo build --release -p hanjinbi) >&2
  fi
fi
[[ -x $BIN ]] || die "no server binary at $BIN (build it, or unset SKIP_BUILD)"

# -------------------------------------------------------------------------- helpers -------
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

now_ns() { date +%s%N; }

# True when GET /healthz answers 200. Uses bash's /dev/tcp rather than spawning curl, so the
# start-up time is not inflated by process creation on a busy machine.
healthz_ok() {
  local line=""
  if { printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
    IFS= read -r -t 2 line <&3; } 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1"; then
    [[ $line == "HTTP/1."?" 200"* ]]
  else
    return 1
  fi
}

# start_server BACKEND PORT LOGFILE — launches the server in the background, sets SERVER_PID.
start_server() {
  local backend=$1 port=$2 logfile=$3
  local -a env_args=(env -u HANJINBI_CONFIG -u HANJINBI_ADDR -u HANJINBI_MAX_CONNECTIONS
    -u HANJINBI_DATABASE_URL -u HANJINBI_DATA_DIR HANJINBI_LOG=warn HANJINBI_LOG_FORMAT=text)
  if [[ $backend == postgres ]]; then
    env_args+=("HANJINBI_DATABASE_URL=postgres://$PGUSER@$PGHOST:$PGPORT/$PG_DB")
  fi
  "${env_args[@]}" "$BIN" serve --demo --addr "127.0.0.1:$port" --data-dir "$WORK/data-$backend" \
    >>"$logfile" 2>&1 &
  SERVER_PID=$!
}

# wait_healthy PORT LOGFILE TIMEOUT_S — polls /healthz every 5 ms; fails if the process dies.
wait_healthy() {
  local port=$1 logfile=$2 timeout_s=$3
  local deadline=$(($(now_ns) + timeout_s * 1000000000))
  until healthz_ok "$port"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "the server exited before /healthz answered 200; its log:"
      sed 's/^/    /' "$logfile" >&2
      return 1
    fi
    if (($(now_ns) > deadline)); then
      log "/healthz did not answer 200 within ${timeout_s}s; the server's log:"
      sed 's/^/    /' "$logfile" >&2
      return 1
    fi
    sleep 0.005
  done
}

# stop_server LOGFILE — SIGTERM, then wait for the exit (SIGKILL after 20 s, reported).
stop_server() {
  local logfile=$1 rc=0 watchdog
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  (
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep 20 &
    nap=$!
    wait "$nap"
    kill -KILL "$SERVER_PID" 2>/dev/null &&
      echo "warning: the server did not exit within 20 s of SIGTERM; killed it" >&2
  ) &
  watchdog=$!
  wait "$SERVER_PID" 2>/dev/null || rc=$?
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
  SERVER_PID=""
  if ((rc != 0)); then
    log "warning: the server exited with status $rc after SIGTERM; its log:"
    sed 's/^/    /' "$logfile" >&2
  fi
}

rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

fmt_mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# check_endpoints PORT — every endpoint must answer 200; otherwise print what came back.
check_endpoints() {
  local port=$1 entry name path code bad=0
  for entry in "${ENDPOINTS[@]}"; do
    name=${entry%%|*} path=${entry#*|}
    code=$(curl -sS -o "$WORK/body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port$path") ||
      code="(curl failed: $?)"
    if [[ $code != 200 ]]; then
      log "endpoint $name GET $path answered $code, not 200; first lines of the body:"
      head -c 600 "$WORK/body" 2>/dev/null | sed 's/^/    /' >&2 || true
      log ""
      bad=1
    fi
  done
  return "$bad"
}

# to_ms VALUE — wrk prints durations like 812.00us, 1.23ms, 1.02s, 2.00m.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (match(v, /^[0-9.]+/)) { n = substr(v, 1, RLENGTH); u = substr(v, RLENGTH + 1) } else { print "?"; exit }
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
    if (f < 0) { print "?"; exit }
    printf "%.2f", n * f
  }'
}

# run_wrk URL SECONDS OUTFILE
run_wrk() {
  wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "${2}s" --timeout 10s "$1" >"$3" 2>&1 || {
    log "wrk failed on $1:"
    sed 's/^/    /' "$3" >&2
    return 1
  }
}

# parse_wrk OUTFILE — prints "rate p50_ms p99_ms requests non2xx socket_errors".
parse_wrk() {
  awk '
    /Requests\/sec:/                      { rate = $2 }
    /requests in/                         { reqs = $1 }
    /Latency Distribution/                { dist = 1; next }
    dist && $1 == "50%"                   { p50 = $2 }
    dist && $1 == "99%"                   { p99 = $2; dist = 0 }
    /Non-2xx or 3xx responses:/           { non2xx = $NF }
    /Socket errors:/ {
      s = 0
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { x = $i; sub(/,/, "", x); s += x }
      sockerr = s
    }
    END {
      printf "%s %s %s %s %s %s\n", (rate == "" ? "?" : rate), (p50 == "" ? "?" : p50),
        (p99 == "" ? "?" : p99), (reqs == "" ? "?" : reqs), non2xx + 0, sockerr + 0
    }' "$1"
}

# -------------------------------------------------------------------------- one backend ---
run_backend() {
  local backend=$1 logfile="$WORK/server-$backend.log" port
  : >"$logfile"
  mkdir -p "$WORK/data-$backend"

  if [[ $backend == postgres ]]; then
    PG_DB="hanjinbi_bench_$$_$(date +%s)"
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGADMIN_DB" -qAtc "CREATE DATABASE \"$PG_DB\"" ||
      die "cannot create the database $PG_DB"
  fi

  # First start: migrate and load the demo catalog; check every endpoint.
  port=$(free_port)
  log "[$backend] first start on port $port (migrations + demo catalog)"
  start_server "$backend" "$port" "$logfile"
  wait_healthy "$port" "$logfile" 120 || die "[$backend] the server did not start"
  if ! check_endpoints "$port"; then
    log "[$backend] server log:"
    sed 's/^/    /' "$logfile" >&2
    die "[$backend] not every endpoint answers 200; nothing was measured"
  fi
  stop_server "$logfile"

  # Second and later starts, on the prepared database: the start-up time.
  local -a startup_ms=()
  local i t0 t1
  for ((i = 1; i <= STARTS; i++)); do
    port=$(free_port)
    t0=$(now_ns)
    start_server "$backend" "$port" "$logfile"
    wait_healthy "$port" "$logfile" 60 || die "[$backend] the server did not start again"
    t1=$(now_ns)
    startup_ms+=("$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", d / 1e6 }')")
    ((i == STARTS)) || stop_server "$logfile"
  done
  local startup
  startup=$(printf '%s\n' "${startup_ms[@]}" | sort -n | awk '
    { v[NR] = $1 } END { printf "%d ms (median of %d; min %d, max %d)", v[int((NR + 1) / 2)], NR, v[1], v[NR] }')
  check_endpoints "$port" || die "[$backend] an endpoint stopped answering 200 after restart"

  # Idle RSS, after a settle.
  sleep "$SETTLE"
  local idle_kib
  idle_kib=$(rss_kib "$SERVER_PID" VmRSS)

  # Peak RSS under load: sample VmRSS every 100 ms while wrk runs.
  local pid=$SERVER_PID
  (
    peak=0
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
      ((v > peak)) && peak=$v && echo "$peak" >"$WORK/peak-$backend"
      sleep 0.1
    done
  ) &
  SAMPLER_PID=$!

  local -a rows=()
  local entry name path out rate p50 p99 reqs non2xx sockerr bare_rate="" ratio notes=""
  for entry in "${ENDPOINTS[@]}"; do
    name=${entry%%|*} path=${entry#*|}
    if ((WARMUP > 0)); then
      log "[$backend] warm-up ${WARMUP}s: GET $path"
      run_wrk "http://127.0.0.1:$port$path" "$WARMUP" "$WORK/warmup.txt" || die "[$backend] wrk failed"
    fi
    log "[$backend] load ${DURATION}s, $CONNECTIONS connections, $THREADS threads: GET $path"
    out="$WORK/wrk-$backend-${name// /_}.txt"
    run_wrk "http://127.0.0.1:$port$path" "$DURATION" "$out" || die "[$backend] wrk failed"
    read -r rate p50 p99 reqs non2xx sockerr < <(parse_wrk "$out")
    [[ $rate != "?" && $p50 != "?" && $p99 != "?" ]] || {
      log "could not read wrk's output for $name:"
      sed 's/^/    /' "$out" >&2
      die "[$backend] unparseable wrk output"
    }
    [[ -n $bare_rate ]] || bare_rate=$rate
    ratio=$(awk -v r="$rate" -v b="$bare_rate" 'BEGIN { printf "%.2f", (b > 0 ? r / b : 0) }')
    rows+=("$(printf '| %s | `GET %s` | %.0f | %s ms | %s ms | %s |' \
      "$name" "$path" "$rate" "$(to_ms "$p50")" "$(to_ms "$p99")" "$ratio")")
    if ((non2xx > 0 || sockerr > 0)); then
      notes+="- $name: $non2xx non-2xx/3xx responses and $sockerr socket errors out of $reqs requests"$'\n'
    fi
    printf '%s|%s\n' "$name" "$ratio" >>"$WORK/ratios-$backend"
  done

  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
  local peak_kib hwm_kib
  peak_kib=$(cat "$WORK/peak-$backend" 2>/dev/null || echo 0)
  hwm_kib=$(rss_kib "$SERVER_PID" VmHWM)

  log "[$backend] stopping the server (SIGTERM)"
  stop_server "$logfile"

  local conns=8
  [[ $backend == postgres ]] && conns=16
  echo
  echo "### $backend"
  echo
  echo "| endpoint | request | requests/s | p50 latency | p99 latency | × bare |"
  echo "|---|---|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  if [[ -n $notes ]]; then
    echo "Errors during load (these requests are counted in requests/s):"
    echo
    printf '%s' "$notes"
    echo
  else
    echo "Every response during load was 2xx; no socket errors."
    echo
  fi
  echo "- idle RSS (${SETTLE} s after start-up): $(fmt_mib "${idle_kib:-0}")"
  echo "- peak RSS under load (VmRSS sampled every 100 ms): $(fmt_mib "$peak_kib"); VmHWM at the end: $(fmt_mib "${hwm_kib:-0}")"
  echo "- start-up, launch to first 200 from /healthz, migrated database with the demo catalog: $startup"
  echo "- database pool: $conns connections (the server's default for $backend)"
  if [[ $backend == sqlite ]]; then
    echo
    echo "Target on SQLite, each page at ≥ $TARGET_RATIO × bare:"
    echo
    local page r
    for page in "${TARGET_PAGES[@]}"; do
      r=$(awk -F'|' -v n="$page" '$1 == n { print $2 }' "$WORK/ratios-$backend")
      if awk -v r="$r" -v t="$TARGET_RATIO" 'BEGIN { exit !(r >= t) }'; then
        echo "- $page: $r — meets the target"
      else
        echo "- $page: $r — below the target"
      fi
    done
  fi

  if [[ $backend == postgres ]]; then
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGADMIN_DB" -qAtc \
      "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null && PG_DB=""
  fi
}

# ------------------------------------------------------------------------------- report ---
mem_gib=$(awk '$1 == "MemTotal:" { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
model=$(awk -F': *' '$1 ~ /^model name/ { print $2; exit }' /proc/cpuinfo)
echo "## HTTP load: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo
echo "- machine: $(nproc) CPUs ($(nproc --all) online), ${model:-unknown model}, $mem_gib memory; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo "- tool: $(wrk --version 2>&1 | head -n1 | awk '{ print $1, $2 }'), $THREADS threads, $CONNECTIONS connections, ${DURATION} s per endpoint after a ${WARMUP} s warm-up, HTTP/1.1 keep-alive"
echo "- the load generator runs on the same machine and shares its $(nproc) cores with the server (and anything else running), so absolute rates are pessimistic and noisy; compare the × bare ratios, which come from one run"
echo "- server: release build, HANJINBI_LOG=warn, demo catalog (72 products)"

for backend in $BACKENDS; do
  case $backend in
  sqlite) run_backend sqlite ;;
  postgres)
    if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
      command -v psql >/dev/null 2>&1 || die "psql is required for the PostgreSQL run"
      run_backend postgres
    else
      echo
      echo "### postgres"
      echo
      echo "Skipped: pg_isready -h $PGHOST -p $PGPORT did not report a PostgreSQL accepting connections."
    fi
    ;;
  *) die "unknown backend '$backend' (sqlite or postgres)" ;;
  esac
done
