#!/usr/bin/env bash
# What each resilience and security policy of Outrigger's proxy costs per request, in one run on the same machine.
#
#   bench/proxy2/run.sh            # writes bench/proxy2/RESULTS.md
#
# The part-1 setup (bench/proxy/run.sh, shared pieces in bench/proxy/common.sh): a fixed nginx upstream serving a 2 KB
# body on core 0 with the load generator (wrk, HTTP/1.1 keep-alive); the proxies on core 1. One Outrigger process per
# variant of the same route: (a) nothing, (b) circuit breaker, (c) retry policy, (d) rate limiting per client IP with a
# limit far above the offered load, (e) JWT validation (HS256, the token sent by wrk in Authorization), (f) all of them.
# Every variant gets the same request bytes (the token is always sent). Main figure: the proxy process's CPU time per
# request (utime+stime from /proc/PID/stat around each run), and its ratio to (a). Rounds are interleaved (a … f, then
# b … a, and so on); reported are the lowest CPU per request and the highest throughput over the rounds (the least disturbed
# by other work), and the median over the rounds of each round's ratio to that round's (a) (neighbouring runs share
# the machine's conditions, so the per-round ratio cancels much of the noise of a shared machine).
# Then the rate limiter under overload: limit 1000 requests/s (burst 100, one global bucket), wrk offering as much as it
# can; admitted = answers that were not 429.
#
# Needs: dotnet, nginx, wrk, taskset, curl, python3. Knobs: DURATION (s, default 8), CONNS (32), ROUNDS (5).
set -euo pipefail

DURATION=${DURATION:-8}
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/outrigger-bench2.XXXXXX)
UP_H1=18180 UP_H2=18190 FIRST_PORT=18181 LIMITED=18189
RATE_LIMIT=1000 RATE_BURST=100
# shellcheck source=../proxy/common.sh
. "$ROOT/bench/proxy/common.sh"
trap bench_cleanup EXIT
require_tools dotnet nginx wrk taskset curl python3
build_outrigger
write_upstream "$UP_H1" "$UP_H2"

SECRET="outrigger-bench-hs256-secret-0123456789"
TOKEN=$(python3 - "$SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = b64(json.dumps({"iss": "bench", "sub": "wrk", "aud": "outrigger", "iat": int(time.time()), "exp": int(time.time()) + 86400}).encode())
signature = b64(hmac.new(sys.argv[1].encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest())
print(f"{header}.{claims}.{signature}")
PY
)

BREAKER="circuit_breaker: { failure_threshold: 5, recovery_timeout_ms: 10000 }"
RETRY="retry: { max_attempts: 3 }"
RATE="rate_limit: { requests_per_second: 1000000, burst_size: 1000000, key_extractor: ip }"
JWT="authentication:
    jwt: { secret: \"$SECRET\", algorithms: [HS256], issuers: [bench], audiences: [outrigger] }"

config() { # port cluster-extra route-extra security
  cat <<CONF
admin: { address: "127.0.0.1:0" }
telemetry: { log_level: warning }
proxy:
  listen: "127.0.0.1:$1"
  clusters:
    bench:
      endpoints: [{ address: 127.0.0.1, port: $UP_H1 }]
      $2
  routes:
    - name: bench
      cluster: bench
      $3
security:
  $4
CONF
}

VARIANTS=(none breaker retry ratelimit jwt all)
declare -A LABEL=([none]="(a) nothing" [breaker]="(b) circuit breaker" [retry]="(c) retry policy" [ratelimit]="(d) rate limit (not rejecting)" [jwt]="(e) JWT HS256" [all]="(f) all together")
declare -A PORT PID
port=$FIRST_PORT
for v in "${VARIANTS[@]}"; do PORT[$v]=$port; port=$((port + 1)); done
config "${PORT[none]}" "" "" "" >"$WORK/none.yaml"
config "${PORT[breaker]}" "$BREAKER" "" "" >"$WORK/breaker.yaml"
config "${PORT[retry]}" "$RETRY" "" "" >"$WORK/retry.yaml"
config "${PORT[ratelimit]}" "" "$RATE" "" >"$WORK/ratelimit.yaml"
config "${PORT[jwt]}" "" "" "$JWT" >"$WORK/jwt.yaml"
config "${PORT[all]}" "$BREAKER
      $RETRY" "$RATE" "$JWT" >"$WORK/all.yaml"
config "$LIMITED" "" "rate_limit: { requests_per_second: $RATE_LIMIT, burst_size: $RATE_BURST, key_extractor: global }" "" >"$WORK/limited.yaml"

echo "== starting upstream and proxies"
start upstream 0 nginx -c "$WORK/upstream.conf"
export DOTNET_gcServer=0 DOTNET_gcConcurrent=0
for v in "${VARIANTS[@]}" limited; do
  start "$v" 1 "$WORK/bin/outrigger" start --config "$WORK/$v.yaml"
  PID[$v]=$LAST_PID
done
PORT[limited]=$LIMITED
wait_port "$UP_H1"
for v in "${VARIANTS[@]}" limited; do wait_port "${PORT[$v]}" -H "Authorization: Bearer $TOKEN"; done
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[jwt]}/2k")
[ "$status" = 401 ] || { echo "JWT variant answered $status without a token (expected 401)" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:${PORT[all]}/2k")
[ "$status" = 200 ] || { echo "the all-policies variant answered $status with the token (expected 200)" >&2; exit 1; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== warm-up"
for v in "${VARIANTS[@]}"; do taskset -c 0 wrk -t1 -c"$CONNS" -d3s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:${PORT[$v]}/2k" >/dev/null; done

declare -A CPU RPS ROUND_CPU
run() { # variant round
  local v=$1 round=$2 before after out requests rps non2xx us
  before=$(cpu_ticks "${PID[$v]}")
  out=$(taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:${PORT[$v]}/2k")
  after=$(cpu_ticks "${PID[$v]}")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  [ -z "$non2xx" ] || { echo "$v: $non2xx answers were not 2xx" >&2; exit 1; }
  us=$(us_per_request $((after - before)) "$requests")
  echo "   $v: $rps req/s, CPU $us µs/req ($requests requests)"
  ROUND_CPU["$v $round"]=$us
  if [ -z "${CPU[$v]:-}" ] || awk -v a="$us" -v b="${CPU[$v]}" 'BEGIN { exit !(a < b) }'; then CPU[$v]=$us; fi
  if [ -z "${RPS[$v]:-}" ] || [ "$rps" -gt "${RPS[$v]}" ]; then RPS[$v]=$rps; fi
}

for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round of $ROUNDS (${DURATION}s per variant)"
  # Each round starts one variant later, so that no variant always runs in the same position.
  for i in $(seq 0 $((${#VARIANTS[@]} - 1))); do
    run "${VARIANTS[$(( (i + round - 1) % ${#VARIANTS[@]} ))]}" "$round"
  done
done

median_ratio() { # variant: median over the rounds of CPU(variant) / CPU(a) in the same round
  for round in $(seq 1 "$ROUNDS"); do ratio "${ROUND_CPU["$1 $round"]}" "${ROUND_CPU["none $round"]}"; echo; done | sort -n |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "== rate limiter under overload ($RATE_LIMIT/s configured, burst $RATE_BURST)"
out=$(taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$LIMITED/2k")
total=$(echo "$out" | awk '/requests in/ {print $1}')
seconds=$(echo "$out" | awk '/requests in/ {sub(/s,?$/, "", $4); print $4}')
rejected=$(echo "$out" | awk '/Non-2xx/ {print $5}')
admitted=$((total - ${rejected:-0}))
offered_rate=$(awk -v n="$total" -v s="$seconds" 'BEGIN { printf "%d", n / s }')
admitted_rate=$(awk -v n="$admitted" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')
steady_rate=$(awk -v n="$admitted" -v b="$RATE_BURST" -v s="$seconds" 'BEGIN { printf "%.1f", (n - b) / s }')
echo "   offered $offered_rate/s, admitted $admitted_rate/s ($admitted of $total in ${seconds}s), without the initial burst $steady_rate/s"

{
  echo "# Proxy policies benchmark results"
  echo
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC') · $(machine_line) · $(nginx -v 2>&1 | cut -d' ' -f3)"
  echo
  echo "Load average (1/5/15 min) before the runs: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg). On a 2-core machine anything"
  echo "above ~2 means other work competed for the cores: throughput is then unreliable; CPU per request much less so."
  echo
  echo "Command: \`bench/proxy2/run.sh\` (DURATION=$DURATION s per run, wrk 1 thread × $CONNS connections, HTTP/1.1 keep-alive,"
  echo "2 KB body, ROUNDS=$ROUNDS interleaved: lowest CPU and highest throughput over the rounds, and the median of the"
  echo "per-round CPU ratios to (a) of the same round). One Outrigger process per"
  echo "variant, pinned to core 1 (workstation non-concurrent GC as in bench/proxy); nginx upstream and wrk on core 0."
  echo "Every request carries the same \`Authorization: Bearer\` HS256 token, validated only where JWT is on."
  echo
  echo "## Cost of each policy on the route"
  echo
  echo "| variant | CPU µs/request (lowest) | CPU vs (a), median of per-round ratios | CPU vs (a), lowest vs lowest | requests/s (highest) | throughput vs (a) |"
  echo "|---|---|---|---|---|---|"
  for v in "${VARIANTS[@]}"; do
    echo "| ${LABEL[$v]} | ${CPU[$v]} | $(median_ratio "$v") | $(ratio "${CPU[$v]}" "${CPU[none]}") | ${RPS[$v]} | $(ratio "${RPS[$v]}" "${RPS[none]}") |"
  done
  echo
  echo "CPU µs/request per round:"
  echo
  echo "| round | $(for v in "${VARIANTS[@]}"; do printf '%s | ' "${LABEL[$v]}"; done)"
  echo "|---|$(for _ in "${VARIANTS[@]}"; do printf -- '---|'; done)"
  for round in $(seq 1 "$ROUNDS"); do
    echo "| $round | $(for v in "${VARIANTS[@]}"; do printf '%s | ' "${ROUND_CPU["$v $round"]}"; done)"
  done
  echo
  echo "Configuration of each variant (in addition to (a)): breaker \`$BREAKER\`; retry \`$RETRY\`;"
  echo "rate limit \`$RATE\`; JWT \`security.authentication.jwt\` with an HS256 secret, issuer and audience."
  echo
  echo "## Rate limiter under overload"
  echo
  echo "| configured/s | burst | offered/s (wrk, $CONNS connections) | admitted/s | admitted / configured | admitted without the burst / configured |"
  echo "|---|---|---|---|---|---|"
  echo "| $RATE_LIMIT | $RATE_BURST | $offered_rate | $admitted_rate | $(ratio "$admitted_rate" "$RATE_LIMIT") | $(ratio "$steady_rate" "$RATE_LIMIT") |"
} >"$HERE/RESULTS.md.new"
mv "$HERE/RESULTS.md.new" "$HERE/RESULTS.md"
echo "== wrote $HERE/RESULTS.md"
