#!/usr/bin/env bash
# Native AOT check of `outrigger` (docs/aot.md). Publishes the sidecar Native AOT (or takes BIN=...), runs the binary
# against real peers — nginx behind the proxy, the AOT reference orchestrator behind the gateway, a Python grpcio
# client, an OTLP receiver over HTTP and gRPC, promtool — and then runs the test suite's process-level tests (the ones
# that spawn `outrigger`: CLI, signals, promtool, workflows end to end with C# and Python apps) against the AOT binary
# through TEST_OUTRIGGER_BIN. One line per check (PASS/FAIL), then "N passed, N failed"; exits non-zero if anything failed.
#
#   tests/Aot/run.sh                           # publish (~3 min on 2 cores), smoke checks, process-level tests
#   BIN=/path/to/outrigger tests/Aot/run.sh    # check an existing AOT build
#   SMOKE_ONLY=1 tests/Aot/run.sh              # skip the process-level tests
#   KEEP=1 tests/Aot/run.sh                    # keep the work folder (logs, configs, metrics) for a look afterwards
#   PUBLISH_ARGS="-p:IlcInstructionSet=native" tests/Aot/run.sh   # extra dotnet publish arguments
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
work=$(mktemp -d /tmp/outrigger-aot.XXXXXX)
chmod 755 "$work"   # nginx workers run as an unprivileged user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "logs and configs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url [seconds]: until it answers 200
  for _ in $(seq 1 $(( ${2:-10} * 20 ))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; return 1
}

if [ -z "${BIN:-}" ]; then
  echo "publishing Native AOT (dotnet publish src/Outrigger -c Release -r linux-x64 -p:PublishAot=true ${PUBLISH_ARGS:-})"
  start=$(date +%s)
  # shellcheck disable=SC2086
  if ! dotnet publish src/Outrigger -c Release -r linux-x64 -p:PublishAot=true ${PUBLISH_ARGS:-} -o "$work/aot" -nologo -v quiet \
      >"$work/publish.log" 2>&1; then
    cat "$work/publish.log"
    fail publish "dotnet publish -p:PublishAot=true failed (log above)"
    finish
  fi
  pass "publish ($(( $(date +%s) - start )) s, binary $(du -m "$work/aot/outrigger" | cut -f1) MB)"
  BIN=$work/aot/outrigger
fi
BIN=$(readlink -f "$BIN")
if ! file -L "$BIN" | grep -q ELF || [ -e "$(dirname "$BIN")/outrigger.dll" ]; then
  fail binary "$BIN is not a Native AOT executable (an ELF file with no outrigger.dll beside it)"
  finish
fi

# --- CLI -------------------------------------------------------------------------------------------------------------
out=$("$BIN" version 2>&1) && [[ $out == "outrigger "* ]] && pass "version: $out" || fail version "$out"
out=$("$BIN" generate-config 2>&1 | "$BIN" validate --config - 2>&1) && [[ $out == *"valid (modules: proxy, gateway, workflows)"* ]] \
  && pass "generate-config | validate --config -" || fail "generate-config | validate" "$out"
printf 'proxy:\n  listen: [oops\n' >"$work/syntax.yaml"
out=$("$BIN" validate --config "$work/syntax.yaml" 2>&1); code=$?
[ $code -eq 1 ] && [[ $out == *"syntax.yaml:3:1"* ]] && pass "validate: YAML syntax error with line and column" || fail "validate syntax error" "exit $code: $out"
printf 'gateway:\n  batch_size: 9\nproxy:\n  listen: "nowhere"\n' >"$work/bad.yaml"
out=$("$BIN" validate --config "$work/bad.yaml" 2>&1); code=$?
[ $code -eq 1 ] && [[ $out == *"gateway.batch_size"* ]] && [[ $out == *"proxy.listen"* ]] \
  && pass "validate: every bad value named by its key" || fail "validate bad values" "exit $code: $out"

# --- peers -----------------------------------------------------------------------------------------------------------
nginx_port=$(free_port); otlp_http=$(free_port); otlp_grpc=$(free_port); orch_port=$(free_port)
mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work/www"
echo "hello from nginx behind the AOT proxy" >"$work/www/hello.txt"
head -c 300000 /dev/urandom >"$work/www/big.bin"
chmod 644 "$work/www/"*
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 256; }
http { access_log off; server { listen 127.0.0.1:$nginx_port; root $work/www; } }
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" >"$work/nginx/out.log" 2>&1 & pids+=($!)
/usr/bin/python3 tests/Aot/otlp_receiver.py "$otlp_http" "$otlp_grpc" "$work/otlp.log" >"$work/otlp.out" 2>&1 & pids+=($!)
cat >"$work/orchestrator.yaml" <<CONF
telemetry: { log_level: warning }
orchestrator: { listen: "127.0.0.1:$orch_port", data_dir: "$work/orchestrator" }
CONF
(cd "$work" && exec "$BIN" orchestrator --config "$work/orchestrator.yaml" >"$work/orchestrator.log" 2>&1) & orch_pid=$!; pids+=($orch_pid)
wait_http "http://127.0.0.1:$nginx_port/hello.txt" || { fail nginx "did not start: $(cat "$work/nginx/"*.log)"; finish; }

# --- the sidecar: proxy + gateway + workflows from one YAML file, OTLP over HTTP --------------------------------------
admin=$(free_port); proxy=$(free_port); gateway=$(free_port); app_port=$(free_port); node_port=$(free_port)
cat >"$work/outrigger.yaml" <<CONF
# Every module that runs on the embedded defaults, on free ports, plus OTLP export.
admin: { address: "127.0.0.1:$admin" }
data_dir: "$work/data"
telemetry:
  log_level: information
  otlp_endpoint: "http://127.0.0.1:$otlp_http"
  otlp_protocol: "http/protobuf"
  service_name: "outrigger-aot"
proxy:
  listen: "127.0.0.1:$proxy"
upstream:
  services:
    web:
      endpoints: [{ address: "127.0.0.1", port: $nginx_port }]
      health_check: { enabled: true, path: /hello.txt, interval_ms: 500 }
gateway:
  listen_addr: "127.0.0.1:$gateway"
  orchestrator: { endpoint: "http://127.0.0.1:$orch_port" }
workflows:
  sidecar_listen: "127.0.0.1:$app_port"
  node_listen: "127.0.0.1:$node_port"
  coordination: { embedded: { dir: "$work/data/coordination" } }
CONF
start_ns=$(date +%s%N)
(cd "$work" && OTEL_BSP_SCHEDULE_DELAY=200 OTEL_METRIC_EXPORT_INTERVAL=500 exec "$BIN" start --config "$work/outrigger.yaml" \
  >"$work/sidecar.log" 2>&1) & sidecar=$!; pids+=($sidecar)
if wait_http "http://127.0.0.1:$admin/ready" 10; then
  pass "start --config (YAML, 3 modules, OTLP): ready in $(( ($(date +%s%N) - start_ns) / 1000000 )) ms"
else
  fail start "not ready in 10 s: $(cat "$work/sidecar.log")"; finish
fi

out=$(curl -s "http://127.0.0.1:$admin/ready")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["ready"] and set(r["modules"]) == {"proxy","gateway","workflows"}, r' "$out" \
  && pass "/ready: proxy, gateway, workflows ready" || fail "/ready" "$out"
out=$(curl -s "http://127.0.0.1:$admin/config")
python3 -c 'import json,sys; c=json.loads(sys.argv[1]); assert c["proxy"]["listen"] == sys.argv[2] and c["telemetry"]["otlp_protocol"] == "http/protobuf", c' \
  "$out" "127.0.0.1:$proxy" && pass "/config: the effective configuration as JSON" || fail "/config" "${out:0:300}"

# Proxy: HTTP/1.1 and h2c to nginx, a 300 KB body streamed intact, a route miss.
out=$(curl -s "http://127.0.0.1:$proxy/hello.txt")
[ "$out" = "hello from nginx behind the AOT proxy" ] && pass "proxy HTTP/1.1 -> nginx" || fail "proxy HTTP/1.1" "$out"
out=$(curl -s --http2-prior-knowledge -w '%{http_version}' "http://127.0.0.1:$proxy/hello.txt")
[ "$out" = $'hello from nginx behind the AOT proxy\n2' ] && pass "proxy h2c -> nginx" || fail "proxy h2c" "$out"
if cmp -s <(curl -s "http://127.0.0.1:$proxy/big.bin") "$work/www/big.bin"; then pass "proxy: 300 KB body intact"; else fail "proxy body" "differs"; fi
ok=0; for _ in $(seq 1 200); do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$proxy/hello.txt"; done | grep -c '^200$' >"$work/count"
ok=$(cat "$work/count"); [ "$ok" -eq 200 ] && pass "proxy: 200 of 200 requests" || fail "proxy requests" "$ok of 200 answered 200"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$proxy/missing.txt")
[ "$code" = 404 ] && pass "proxy: upstream 404 passed through" || fail "proxy 404" "$code"

# Gateway: a real grpcio client (descriptor set made by the protoc of the Grpc.Tools package the build uses).
protoc=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/grpc.tools/*/tools/linux_x64/protoc 2>/dev/null | sort | tail -1)
chmod +x "$protoc" 2>/dev/null
if [ -n "$protoc" ] && "$protoc" -I protos --include_imports --descriptor_set_out="$work/knhk.pb" knhk/warm/v1/knhk_warm.proto; then
  job='{"target": "127.0.0.1:'$gateway'", "calls": [
    {"method": "HealthCheck"},
    {"method": "SubmitTransaction", "request": {"actor": "aot", "additions": [{"subject": "1", "predicate": "7", "object": "2"}]}},
    {"method": "SubmitTransaction", "request": {"actor": "aot", "additions": [{"subject": "3", "predicate": "7", "object": "4"}]}}]}'
  out=$(/usr/bin/python3 tests/Outrigger.Gateway.Tests/Acceptance/kgc_client.py "$work/knhk.pb" <<<"$job" 2>&1)
  python3 -c '
import json, sys
health, tx1, tx2 = json.loads(sys.argv[1])
assert health["code"] == "OK" and health["response"]["healthy"], health
for tx in (tx1, tx2):
    assert tx["code"] == "OK" and tx["response"]["success"], tx
    assert tx["response"]["receipt"]["lanes"] == 2 and tx["response"]["receipt"]["a_hash"] != "0", tx
' "$out" && pass "gateway gRPC (grpcio): HealthCheck healthy, 2 transactions committed in one batch to the AOT orchestrator" \
    || fail "gateway gRPC" "${out:0:500}"
  job='{"target": "127.0.0.1:'$gateway'", "calls": [{"method": "SubmitQuery", "request": {"sparql": "SELECT ?s WHERE { ?s <urn:knhk:7> <urn:knhk:4> }"}}]}'
  out=$(/usr/bin/python3 tests/Outrigger.Gateway.Tests/Acceptance/kgc_client.py "$work/knhk.pb" <<<"$job" 2>&1)
  python3 -c '
import json, sys
(q,) = json.loads(sys.argv[1])
assert q["code"] == "OK" and q["response"]["bindings"] == [{"bindings": {"s": {"iri": "urn:knhk:3"}}}], q
' "$out" && pass "gateway gRPC (grpcio): SPARQL query answered from the orchestrator" || fail "gateway query" "${out:0:500}"
else
  fail "gateway gRPC" "no protoc under ~/.nuget/packages/grpc.tools (restore the solution first)"
fi

# Workflows: the CLI (gRPC client in the AOT binary) against the node's management API (gRPC server), and HTTP.
out=$("$BIN" workflow list --node "http://127.0.0.1:$node_port" 2>&1) && pass "workflow list (gRPC management API)" || fail "workflow list" "$out"
out=$("$BIN" workflow run nope --node "http://127.0.0.1:$node_port" 2>&1); code=$?
[ $code -ne 0 ] && [[ $out == *nope* ]] && pass "workflow run of an unregistered workflow: clear error" || fail "workflow run unknown" "exit $code: $out"
out=$(curl -s -w ' %{http_code}' -X POST -H 'content-type: application/json' -d '{"name": "nope", "version": 1}' "http://127.0.0.1:$node_port/workflow/execute")
[[ $out == *nope*" 4"[0-9][0-9] ]] && pass "workflows HTTP API: JSON error for an unregistered workflow" || fail "workflows HTTP" "$out"

# Metrics after traffic: valid Prometheus text with the proxy's and gateway's counters.
curl -s "http://127.0.0.1:$admin/metrics" >"$work/metrics.txt"
if out=$(promtool check metrics <"$work/metrics.txt" 2>&1); then pass "/metrics: promtool check metrics"; else fail "promtool" "$out"; fi
n=$(awk '$1 ~ /^proxy_requests_total/ {s += $2} END {print s + 0}' "$work/metrics.txt")
[ "$n" -ge 203 ] && pass "/metrics: proxy_requests_total = $n" || fail "proxy_requests_total" "$n (expected >= 203)"
grep -q '^dotnet_gc_collections_total\|^dotnet_process_memory_working_set_bytes' "$work/metrics.txt" \
  && pass "/metrics: System.Runtime instruments present" || fail "runtime metrics" "missing"
rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$sidecar/status")

# Shutdown: SIGTERM drains and exits 0; the OTLP exporters flush on the way out.
kill -TERM "$sidecar"
for _ in $(seq 1 200); do kill -0 "$sidecar" 2>/dev/null || break; sleep 0.1; done
wait "$sidecar"; code=$?
[ $code -eq 0 ] && pass "SIGTERM: exit 0 (RSS was $rss MB after the checks)" || fail SIGTERM "exit $code: $(tail -5 "$work/sidecar.log")"
grep -q '^http /v1/traces [1-9]' "$work/otlp.log" 2>/dev/null && pass "OTLP/HTTP: traces exported" || fail "OTLP/HTTP traces" "$(cat "$work/otlp.log" 2>/dev/null)"
grep -q '^http /v1/metrics [1-9]' "$work/otlp.log" 2>/dev/null && pass "OTLP/HTTP: metrics exported" || fail "OTLP/HTTP metrics" "$(cat "$work/otlp.log" 2>/dev/null)"
if grep -qi 'exception\|fail:' "$work/sidecar.log"; then fail "sidecar log" "$(grep -i -m5 'exception\|fail:' "$work/sidecar.log")"; else pass "sidecar log: no exceptions"; fi

# --- proxy only, OTLP over gRPC ----------------------------------------------------------------------------------------
admin=$(free_port); proxy=$(free_port)
cat >"$work/proxy.yaml" <<CONF
admin: { address: "127.0.0.1:$admin" }
telemetry: { log_level: warning, otlp_endpoint: "http://127.0.0.1:$otlp_grpc", otlp_protocol: grpc }
proxy: { listen: "127.0.0.1:$proxy" }
upstream: { services: { web: { endpoints: [{ address: "127.0.0.1", port: $nginx_port }] } } }
CONF
(cd "$work" && OTEL_BSP_SCHEDULE_DELAY=200 OTEL_METRIC_EXPORT_INTERVAL=500 exec "$BIN" start --config "$work/proxy.yaml" \
  >"$work/proxy.log" 2>&1) & sidecar=$!; pids+=($sidecar)
if wait_http "http://127.0.0.1:$admin/ready" 10; then
  out=$(curl -s "http://127.0.0.1:$admin/ready")
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert list(r["modules"]) == ["proxy"], r' "$out" \
    && pass "proxy-only config: only the proxy runs" || fail "proxy-only modules" "$out"
  for _ in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$proxy/hello.txt"; done
  sleep 1.5
  kill -TERM "$sidecar"; wait "$sidecar"
  grep -q '^grpc /opentelemetry.proto.collector.trace.v1.TraceService/Export [1-9]' "$work/otlp.log" \
    && pass "OTLP/gRPC: traces exported" || fail "OTLP/gRPC traces" "$(grep grpc "$work/otlp.log")"
  grep -q '^grpc /opentelemetry.proto.collector.metrics.v1.MetricsService/Export [1-9]' "$work/otlp.log" \
    && pass "OTLP/gRPC: metrics exported" || fail "OTLP/gRPC metrics" "$(grep grpc "$work/otlp.log")"
else
  fail "proxy-only start" "$(cat "$work/proxy.log")"
fi
kill -TERM "$orch_pid"; wait "$orch_pid"; code=$?
[ $code -eq 0 ] && pass "orchestrator: SIGTERM, exit 0" || fail "orchestrator exit" "$code: $(tail -5 "$work/orchestrator.log")"

# --- the test suite's process-level tests, against the AOT binary ----------------------------------------------------
if [ -z "${SMOKE_ONLY:-}" ]; then
  run_tests() { # project filter
    local results="$work/results-$(basename "$1")"
    TEST_OUTRIGGER_BIN=$BIN dotnet test "$1" -c Release --no-build --nologo --filter "$2" --logger trx --results-directory "$results" \
      >"$results.log" 2>&1
    local status=$? p=0 f=0
    for trx in "$results"/*.trx; do
      [ -f "$trx" ] || continue
      counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
      p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
      f=$(( $(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters") + $(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters") ))
    done
    if [ "$status" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
      pass "$(basename "$1") [$2] against the AOT binary: $p tests passed"
    else
      grep -E 'Failed |Error Message|^\s+(Assert|Expected|Actual)' "$results.log" | head -40
      fail "$(basename "$1") [$2] against the AOT binary" "$p passed, $f failed (exit $status)"
    fi
  }
  if dotnet build tests/Outrigger.Tests -c Release -nologo -v quiet >"$work/build.log" 2>&1 \
      && dotnet build tests/Outrigger.Workflows.Tests -c Release -nologo -v quiet >>"$work/build.log" 2>&1; then
    run_tests tests/Outrigger.Tests "FullyQualifiedName~Outrigger.Tests.Cli"
    run_tests tests/Outrigger.Workflows.Tests "FullyQualifiedName~Outrigger.Workflows.Tests.EndToEnd"
  else
    tail -30 "$work/build.log"; fail "test build" "dotnet build of the test projects failed"
  fi
fi
finish
