#!/usr/bin/env bash
# Where Outrigger's proxy spends its CPU and allocations on the 2 KB keep-alive path, HTTP/1.1 (wrk) or HTTP/2 (h2load).
#
#   bench/proxy/profile.sh                 # CPU µs and allocated bytes per request, GC counts
#   PROTOCOL=h2 bench/proxy/profile.sh     # the same over prior-knowledge h2c: h2load, H2CONNS connections × STREAMS streams
#   PERF=1 bench/proxy/profile.sh          # plus a `perf record` of the proxy (JIT frames named via perf maps)
#   BIN=/path/to/outrigger bench/proxy/profile.sh   # reuse a build
#   EXTRA_ENV="DOTNET_TieredPGO=1" bench/proxy/profile.sh   # try runtime settings
#
# Same layout as run.sh: upstream nginx and wrk on core 0, Outrigger alone on core 1. Allocated bytes come from the
# runtime's own counter (dotnet.gc.heap.total_allocated on the admin /metrics endpoint) read before and after the run.
# Knobs: DURATION (s, 10), WARMUP (s, 15), CONNS (32), SIZE (2k), RATE (if set, a rate-limited hey run instead of wrk: req/s),
# PROTOCOL (h1 or h2), H2CONNS (4), STREAMS (32) as in run.sh.
set -euo pipefail

DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
PROTOCOL=${PROTOCOL:-h1}
H2CONNS=${H2CONNS:-4}
STREAMS=${STREAMS:-32}
SIZE=${SIZE:-2k}
RT=${RT:-}   # e.g. RT="chrt -f 50": run the measured processes at real-time priority, ahead of other work on a shared machine
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/outrigger-profile.XXXXXX)
PIDS=()
CLK_TCK=$(getconf CLK_TCK)
UP=18180 PROXY=18183 ADMIN=18184

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${BIN:-}" ]; then
  dotnet build "$ROOT/src/Outrigger" -c Release -o "$WORK/bin" -v quiet -nologo >/dev/null
  BIN=$WORK/bin/outrigger
fi

mkdir -p "$WORK/www" "$WORK/logs"
chmod 755 "$WORK" "$WORK/www"
head -c 2048 /dev/urandom >"$WORK/www/2k"
head -c 65536 /dev/urandom >"$WORK/www/64k"
chmod 644 "$WORK/www/"*
cat >"$WORK/upstream.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/upstream.pid;
error_log $WORK/logs/upstream.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 10000000;
  server { listen 127.0.0.1:$UP; root $WORK/www; }
}
CONF
cat >"$WORK/outrigger.yaml" <<CONF
admin: { address: "127.0.0.1:$ADMIN" }
telemetry: { log_level: warning }
gateway: { enabled: false }
workflows: { enabled: false }
proxy:
  listen: "127.0.0.1:$PROXY"
upstream:
  services:
    bench:
      endpoints: [{ address: "127.0.0.1", port: $UP }]
CONF

$RT taskset -c 0 nginx -c "$WORK/upstream.conf" >"$WORK/logs/upstream.out" 2>&1 &
PIDS+=($!)
# shellcheck disable=SC2086
env DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_PerfMapEnabled=$([ -n "${PERF:-}" ] && echo "1 DOTNET_EnableWriteXorExecute=0" || echo 0) ${EXTRA_ENV:-} \
  $RT taskset -c 1 "$BIN" start --config "$WORK/outrigger.yaml" >"$WORK/logs/outrigger.out" 2>&1 &
OUT_PID=$!
PIDS+=("$OUT_PID")
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PROXY/$SIZE" && break; sleep 0.1; done

metric() { curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 ~ "^"m {s += $2} END {printf "%.0f", s}'; }
ticks() { awk '{print $14 + $15}' "/proc/$OUT_PID/stat"; }
switches() { cat /proc/"$OUT_PID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }

h2() { $RT taskset -c 0 h2load -t1 -c"$H2CONNS" -m"$STREAMS" -D "$1" "http://127.0.0.1:$PROXY/$SIZE"; }

# Tiered JIT: about 10-15 s of load before the hot paths stop being recompiled.
if [ "$PROTOCOL" = h2 ]; then h2 "${WARMUP:-15}" >/dev/null; else $RT taskset -c 0 wrk -t1 -c"$CONNS" -d"${WARMUP:-15}s" "http://127.0.0.1:$PROXY/$SIZE" >/dev/null; fi
alloc0=$(metric dotnet_gc_heap_total_allocated)
gc0=$(metric dotnet_gc_collections)
cpu0=$(ticks)
cs0=$(switches)
if [ -n "${PERF:-}" ]; then
  OUT=${PERF_OUT:-/tmp/outrigger-perf}
  mkdir -p "$OUT"
  perf record -F 2999 -g -p "$OUT_PID" -o "$OUT/perf.data" -- sleep "$DURATION" >/dev/null 2>&1 &
  PERF_PID=$!
fi
if [ "$PROTOCOL" = h2 ]; then
  out=$(h2 "$DURATION")
  requests=$(echo "$out" | awk '/^requests:/ {print $8}')
  echo "$out" | grep -E '^finished in|^requests:|^time for request:'
elif [ -n "${RATE:-}" ]; then
  out=$(taskset -c 0 hey -z "${DURATION}s" -c "$CONNS" -q $((RATE / CONNS)) "http://127.0.0.1:$PROXY/$SIZE")
  requests=$(echo "$out" | awk '/\[200\]/ {print $2}')
  echo "$out" | grep -E 'Requests/sec|Average|50% in|90% in|99% in'
else
  out=$($RT taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PROXY/$SIZE")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$out" | grep -E 'Requests/sec|50%|99%'
fi
cpu1=$(ticks)
cs1=$(switches)
alloc1=$(metric dotnet_gc_heap_total_allocated)
gc1=$(metric dotnet_gc_collections)
awk -v c=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$requests" -v a=$((alloc1 - alloc0)) -v g=$((gc1 - gc0)) -v cs=$((cs1 - cs0)) -v rss="$(awk '/VmRSS/ {print $2}' /proc/$OUT_PID/status)" \
  'BEGIN { printf "requests %d  CPU %.1f µs/req  allocated %.0f B/req  context switches %.2f/req  GCs %d  RSS %.1f MB\n", n, c / hz * 1e6 / n, a / n, cs / n, g, rss / 1024 }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${PERF:-}" ]; then
  wait "$PERF_PID" || true
  perf report -i "$OUT/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -120 >"$OUT/self.txt"
  perf report -i "$OUT/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30 >"$OUT/dso.txt"
  perf report -i "$OUT/perf.data" --children --sort symbol -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -200 >"$OUT/children.txt"
  echo "perf data and reports in $OUT (perf.data, self.txt, dso.txt, children.txt)"
fi
