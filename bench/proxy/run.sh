#!/usr/bin/env bash
# Outrigger's proxy against nginx and HAProxy as reverse proxies, in one run, on the same machine.
#
#   bench/proxy/run.sh            # writes bench/proxy/RESULTS.md
#
# A fixed upstream (nginx, one worker, static 2 KB and 64 KB bodies) is reached through (a) nothing, (b) nginx,
# (c) HAProxy and (d) Outrigger. Fairness on a 2-core machine: every proxy runs on core 1 (nginx with one worker,
# HAProxy with one thread), the load generators and the upstream on core 0. The main figure is the proxy process's
# CPU time per request (utime+stime from /proc/PID/stat before and after each run). Also: throughput and latency
# (wrk for HTTP/1.1 keep-alive, h2load for HTTP/2 prior-knowledge h2c), p99 latency added at half of Outrigger's
# saturation rate (hey, rate-limited), and resident memory idle and under load. "outrigger-bare" is the same binary
# doing the header work the nginx configuration does (X-Forwarded-* only: no Via, no generated x-request-id or traceparent),
# to show what those defaults cost. "outrigger-kestrel" is the same binary with the direct path off
# (`proxy.direct_path: false`, docs/direct-path.md): every request through Kestrel, as before the direct path existed.
#
# Needs: dotnet, nginx, haproxy, wrk, h2load, hey, taskset (Debian: nginx haproxy wrk nghttp2-client hey util-linux).
# Knobs: BUILD (aot, the default, or jit) or BIN (see common.sh), ROUNDS (interleaved rounds per measurement, median reported, 3), DURATION (s, default 10), WARMUP (s of HTTP/1.1 load per target before measuring, 15), CONNS (wrk/hey connections, 32), H2CONNS (4), STREAMS (h2 streams/conn, 32);
# for quick comparisons ONLY="outrigger nginx" SIZES=2k PROTOCOLS=h1 (RESULTS.md is not written then);
# RT="chrt -f 50" to run every measured process at real-time priority when other work shares the machine.
# Outrigger runs with only its proxy module enabled (gateway and workflows off), as nginx and HAProxy are only proxies.
set -euo pipefail

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-15}
CONNS=${CONNS:-32}
H2CONNS=${H2CONNS:-4}
STREAMS=${STREAMS:-32}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/outrigger-bench.XXXXXX)
UP_H1=18080 UP_H2=18090 NGINX=18081 NGINX_H2=18091 HAPROXY=18082 OUTRIGGER=18083 BARE=18084 KESTREL=18085
# shellcheck source=common.sh
. "$HERE/common.sh"
trap bench_cleanup EXIT
require_tools dotnet nginx haproxy wrk h2load hey taskset
build_outrigger
write_upstream "$UP_H1" "$UP_H2"

cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  upstream backend { server 127.0.0.1:$UP_H1; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX;
    listen 127.0.0.1:$NGINX_H2 http2;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_buffering off;
    }
  }
}
CONF

cat >"$WORK/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option forwardfor
  http-reuse always
frontend fe
  bind 127.0.0.1:$HAPROXY
  default_backend be
backend be
  server up 127.0.0.1:$UP_H1
CONF

cat >"$WORK/outrigger.yaml" <<CONF
admin: { address: "127.0.0.1:0" }
telemetry: { log_level: warning }
gateway: { enabled: false }
workflows: { enabled: false }
proxy:
  listen: "127.0.0.1:$OUTRIGGER"
upstream:
  services:
    bench:
      endpoints: [{ address: "127.0.0.1", port: $UP_H1 }]
CONF

echo "== starting upstream and proxies"
start upstream 0 nginx -c "$WORK/upstream.conf"
start nginx 1 nginx -c "$WORK/nginx.conf"
NGINX_MASTER=$LAST_PID
start haproxy 1 haproxy -f "$WORK/haproxy.cfg" -db
HAPROXY_PID=$LAST_PID
export DOTNET_gcServer=0 DOTNET_gcConcurrent=0
start outrigger 1 "$WORK/bin/outrigger" start --config "$WORK/outrigger.yaml"
OUT_PID=$LAST_PID
# The same binary doing only the header work the nginx configuration does.
sed -e "s/:$OUTRIGGER/:$BARE/" -e '/^  listen:/a\  forwarding: { via: false, request_id_header: "" }\n  tracing: { start_traces: false }' \
  "$WORK/outrigger.yaml" >"$WORK/outrigger-bare.yaml"
start outrigger-bare 1 "$WORK/bin/outrigger" start --config "$WORK/outrigger-bare.yaml"
BARE_PID=$LAST_PID
# The same binary with every request through Kestrel.
sed -e "s/:$OUTRIGGER/:$KESTREL/" -e '/^  listen:/a\  direct_path: false' "$WORK/outrigger.yaml" >"$WORK/outrigger-kestrel.yaml"
start outrigger-kestrel 1 "$WORK/bin/outrigger" start --config "$WORK/outrigger-kestrel.yaml"
KESTREL_PID=$LAST_PID
for port in $UP_H1 $NGINX $HAPROXY $OUTRIGGER $BARE $KESTREL; do wait_port "$port"; done
sleep 1

# The processes whose CPU we charge to each target (nginx: its worker; the master does not serve requests).
workers_of() { pgrep -P "$1" | tr '\n' ' '; }
declare -A TARGET_PIDS=(
  [direct]=""
  [nginx]="$(workers_of "$NGINX_MASTER")"
  [haproxy]="$HAPROXY_PID"
  [outrigger]="$OUT_PID"
  [outrigger-bare]="$BARE_PID"
  [outrigger-kestrel]="$KESTREL_PID"
)
declare -A H1_PORT=([direct]=$UP_H1 [nginx]=$NGINX [haproxy]=$HAPROXY [outrigger]=$OUTRIGGER [outrigger-bare]=$BARE [outrigger-kestrel]=$KESTREL)
declare -A H2_PORT=([direct]=$UP_H2 [nginx]=$NGINX_H2 [haproxy]=$HAPROXY [outrigger]=$OUTRIGGER [outrigger-bare]=$BARE [outrigger-kestrel]=$KESTREL)
read -r -a TARGETS <<<"${ONLY:-direct nginx haproxy outrigger outrigger-bare outrigger-kestrel}"

declare -A IDLE_RSS PEAK_RSS
for t in "${TARGETS[@]}"; do IDLE_RSS[$t]=$( [ -n "${TARGET_PIDS[$t]}" ] && rss_kb "${TARGET_PIDS[$t]}" || echo 0 ); PEAK_RSS[$t]=0; done

sample_rss() { # target; samples until killed
  while true; do rss_kb "${TARGET_PIDS[$1]}"; sleep 0.5; done
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Outrigger's tiered JIT needs about 10-15 s of load on one core before its hot paths stop being recompiled.
echo "== warm-up (${WARMUP}s HTTP/1.1 + 5s HTTP/2 per target)"
for t in "${TARGETS[@]}"; do $RT taskset -c 0 wrk -t1 -c"$CONNS" -d"${WARMUP}s" "http://127.0.0.1:${H1_PORT[$t]}/2k" >/dev/null; done
for t in "${TARGETS[@]}"; do $RT taskset -c 0 h2load -t1 -c"$H2CONNS" -m"$STREAMS" -D 5 "http://127.0.0.1:${H2_PORT[$t]}/2k" >/dev/null; done

ROWS=()
measure() { # target size protocol; prints "µs/request req/s p50 p99" of one run
  local t=$1 size=$2 proto=$3 pids=${TARGET_PIDS[$1]} before after out requests rps p50 p99 sampler us="—"
  before=$( [ -n "$pids" ] && cpu_ticks "$pids" || echo 0 )
  if [ -n "$pids" ]; then sample_rss "$t" >"$WORK/rss.$t" & sampler=$!; fi
  if [ "$proto" = h1 ]; then
    out=$($RT taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:${H1_PORT[$t]}/$size")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  else
    out=$($RT taskset -c 0 h2load -t1 -c"$H2CONNS" -m"$STREAMS" -D "$DURATION" "http://127.0.0.1:${H2_PORT[$t]}/$size")
    requests=$(echo "$out" | awk '/^requests:/ {print $8}')
    rps=$(echo "$out" | awk '/^finished in/ {printf "%d", $4}')
    p50="mean_$(echo "$out" | awk '/^time for request:/ {print $6}')"
    p99="max_$(echo "$out" | awk '/^time for request:/ {print $5}')"
  fi
  if [ -n "$pids" ]; then
    after=$(cpu_ticks "$pids")
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    local peak; peak=$(sort -n "$WORK/rss.$t" | tail -1)
    [ "${peak:-0}" -gt "${PEAK_RSS[$t]}" ] && PEAK_RSS[$t]=$peak
    us=$(us_per_request $((after - before)) "$requests")
  fi
  echo "$us $rps $p50 $p99"
}
declare -A CPU RPS

# Each size and protocol runs ROUNDS times, the targets interleaved within a round, so that a slow minute of a shared
# machine hits every target alike; a target's row is its median round by CPU (all rounds' CPU figures are listed).
echo "== saturation runs (${ROUNDS} rounds of ${DURATION}s per target, interleaved)"
for size in ${SIZES:-2k 64k}; do
  for proto in ${PROTOCOLS:-h1 h2}; do
    declare -A ROUND_LINES=()
    for round in $(seq 1 "$ROUNDS"); do
      for t in "${TARGETS[@]}"; do
        measure "$t" "$size" "$proto" >"$WORK/round"   # not in a subshell: measure updates PEAK_RSS
        line=$(cat "$WORK/round")
        echo "   round $round: $t $size $proto: $line (µs/req req/s p50 p99)"
        ROUND_LINES[$t]+="$line"$'\n'
      done
    done
    for t in "${TARGETS[@]}"; do
      read -r us rps p50 p99 < <(printf '%s' "${ROUND_LINES[$t]}" | sort -n -k1,1 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)')
      all=$(printf '%s' "${ROUND_LINES[$t]}" | awk '{print $1}' | paste -sd/ | sed 's|/| / |g')
      ROWS+=("| $proto | $size | $t | $us | $all | $rps | ${p50/_/ } | ${p99/_/ } |")
      CPU["$t $size $proto"]=$us
      RPS["$t $size $proto"]=$rps
    done
    unset ROUND_LINES
  done
done
if [ -n "${ONLY:-}${SIZES:-}${PROTOCOLS:-}" ]; then
  echo "== partial run: RESULTS.md not written"
  exit 0
fi

echo "== half-saturation latency (hey, rate-limited, 2 KB, HTTP/1.1)"
RATE=$(( ${RPS["outrigger 2k h1"]} / 2 ))
PER_WORKER=$(( RATE / 16 > 0 ? RATE / 16 : 1 ))
LAT_ROWS=()
declare -A P99
for t in "${TARGETS[@]}"; do
  out=$($RT taskset -c 0 hey -z "${DURATION}s" -c 16 -q "$PER_WORKER" "http://127.0.0.1:${H1_PORT[$t]}/2k")
  p50=$(echo "$out" | awk '/ 50% in/ {print $3 * 1000}')
  p99=$(echo "$out" | awk '/ 99% in/ {print $3 * 1000}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
  P99[$t]=$p99
  echo "   $t: $rps req/s, p50 ${p50} ms, p99 ${p99} ms"
  LAT_ROWS+=("| $t | $rps | $p50 | $p99 | $(awk -v a="$p99" -v b="${P99[direct]}" 'BEGIN { printf "%.3f", a - b }') |")
done

{
  echo "# Proxy benchmark results"
  echo
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC') · machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Debian $(cat /etc/debian_version)"
  echo "· $(nginx -v 2>&1 | cut -d' ' -f3) · HAProxy $(haproxy -v | head -1 | cut -d' ' -f3) · .NET $(dotnet --list-runtimes | awk '/NETCore/ {print $2}' | tail -1)"
  echo
  echo "Load average (1/5/15 min) before the runs: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg). On a 2-core machine anything"
  echo "above ~2 means other work competed for the cores: throughput and latency are then unreliable; CPU per request much less so."
  echo
  echo "Command: \`${RT:+RT=\"$RT\" }${BUILD:+BUILD=$BUILD }bench/proxy/run.sh\` (ROUNDS=$ROUNDS, DURATION=$DURATION, WARMUP=$WARMUP, wrk/hey connections=$CONNS, h2load $H2CONNS connections × $STREAMS streams)."
  echo "Every proxy pinned to core 1 (nginx 1 worker, HAProxy 1 thread, Outrigger's $OUTRIGGER_BUILD build with workstation non-concurrent GC and inline socket completions as shipped;"
  echo "outrigger-bare = same binary adding only the X-Forwarded-* headers, as the nginx configuration does; outrigger-kestrel = same binary with proxy.direct_path: false);"
  echo "upstream (nginx, 1 worker) and load generators on core 0. CPU = proxy process utime+stime per request."
  echo
  echo "## Saturation"
  echo
  echo "| protocol | body | target | CPU µs/request (median) | every round | requests/s | latency p50 (h2: mean) | latency p99 (h2: max) |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "## Outrigger relative to the others (CPU per request; below 1.00 means cheaper)"
  echo
  echo "| protocol | body | outrigger vs nginx | vs HAProxy | outrigger-bare vs nginx | vs HAProxy | outrigger vs outrigger-kestrel |"
  echo "|---|---|---|---|---|---|---|"
  for size in 2k 64k; do for proto in h1 h2; do
    echo "| $proto | $size | $(ratio "${CPU["outrigger $size $proto"]}" "${CPU["nginx $size $proto"]}") | $(ratio "${CPU["outrigger $size $proto"]}" "${CPU["haproxy $size $proto"]}") | $(ratio "${CPU["outrigger-bare $size $proto"]}" "${CPU["nginx $size $proto"]}") | $(ratio "${CPU["outrigger-bare $size $proto"]}" "${CPU["haproxy $size $proto"]}") | $(ratio "${CPU["outrigger $size $proto"]}" "${CPU["outrigger-kestrel $size $proto"]}") |"
  done; done
  echo
  echo "## Latency at half of Outrigger's saturation rate (2 KB, HTTP/1.1, $RATE req/s offered)"
  echo
  echo "| target | requests/s | p50 ms | p99 ms | p99 added vs direct, ms |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${LAT_ROWS[@]}"
  echo
  echo "## Resident memory (MB)"
  echo
  echo "| target | idle | peak under load |"
  echo "|---|---|---|"
  for t in nginx haproxy outrigger outrigger-bare outrigger-kestrel; do
    echo "| $t | $(awk -v k="${IDLE_RSS[$t]}" 'BEGIN { printf "%.1f", k / 1024 }') | $(awk -v k="${PEAK_RSS[$t]}" 'BEGIN { printf "%.1f", k / 1024 }') |"
  done
} >"$HERE/RESULTS.md.new"
mv "$HERE/RESULTS.md.new" "$HERE/RESULTS.md"
echo "== wrote $HERE/RESULTS.md"
