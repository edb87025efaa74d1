#!/usr/bin/env bash
# Footprint of `outrigger start`: time from exec to /ready = 200, then, 7 s later, resident memory split by kind:
#   anon  = RssAnon  (GC heap, native heaps, thread stacks)
#   code  = RssShmem (the runtime's double-mapped executable memory: JIT'd code and stubs, /memfd:doublemapper)
#   file  = RssFile  (pages of mapped files: the runtime's .so files and assemblies; shared with other processes
#                     that map the same files, but counted in every process's RSS)
# plus the number of assemblies loaded and methods JIT-compiled (from the admin /metrics). Two configurations: the
# embedded defaults (proxy, gateway, workflows) and proxy-only (what bench/proxy compares with nginx and HAProxy).
# Compared with a bare `dotnet` console app that only sleeps (the runtime's own floor), measured the same way.
#
# Under Native AOT (AOT=1) there is no JIT and no assembly file: "code" is ~0 and "file" is the pages of the one
# executable that were touched; the floor is then an empty Native AOT console app.
#
#   bench/footprint/run.sh [runs]           # default 3 runs per configuration; prints Markdown
#   AOT=1 bench/footprint/run.sh            # publish and measure the Native AOT build (docs/aot.md; ~3 min to publish)
#   AOT=1 PUBLISH_ARGS="-p:OptimizationPreference=Size" bench/footprint/run.sh   # a variant of it
#   BIN=/path/to/outrigger bench/footprint/run.sh      # measure an existing build (JIT or AOT, told apart by outrigger.dll)
#   DETAIL=1 bench/footprint/run.sh 1       # also the 25 largest mappings of each configuration (/proc/PID/smaps)
#   LOAD=1 bench/footprint/run.sh           # proxy-only runs also get 10 s of load after the idle sample (wrk, 16
#                                           # connections, 2 KB from nginx): RSS at its end and the peak (VmHWM)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
out=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"' EXIT
if [ -z "${BIN:-}" ]; then
  if [ -n "${AOT:-}" ]; then
    # shellcheck disable=SC2086
    dotnet publish src/Outrigger -c Release -r linux-x64 -p:PublishAot=true ${PUBLISH_ARGS:-} -o "$out/outrigger" -nologo -v quiet >/dev/null
  else
    dotnet build src/Outrigger -c Release -o "$out/outrigger" -nologo -v quiet >/dev/null
  fi
  BIN=$out/outrigger/outrigger
fi
if [ -e "$(dirname "$BIN")/outrigger.dll" ]; then
  build="framework-dependent (JIT): $(du -sm --exclude='*.pdb' "$(dirname "$BIN")" | cut -f1) MB of assemblies, plus the shared framework"
  floor_args=()
else
  build="Native AOT: executable $(du -m "$BIN" | cut -f1) MB"
  floor_args=(-r linux-x64 -p:PublishAot=true)
fi

# The floor: an empty .NET console app with the same GC settings (Native AOT too when measuring an AOT build).
mkdir -p "$out/floor"
cat > "$out/floor/floor.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>
  <ServerGarbageCollector>false</ServerGarbageCollector><ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
  <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup>
</Project>
XML
echo 'System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);' > "$out/floor/Program.cs"
(cd "$out/floor" && dotnet publish "${floor_args[@]}" -c Release -o bin -nologo -v quiet --source /opt/nuget/packages >/dev/null 2>&1 \
  || dotnet publish "${floor_args[@]}" -c Release -o bin -nologo -v quiet >/dev/null)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
proxy_port=$(free_port)
upstream_port=9
if [ -n "${LOAD:-}" ]; then
  upstream_port=$(free_port)
  mkdir -p "$out/www"
  chmod 755 "$out" "$out/www"   # nginx workers run as an unprivileged user
  head -c 2048 /dev/urandom > "$out/www/2k"
  chmod 644 "$out/www/2k"
  cat > "$out/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $out/nginx.pid;
error_log $out/nginx.err warn;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 10000000; server { listen 127.0.0.1:$upstream_port; root $out/www; } }
CONF
  nginx -c "$out/nginx.conf" -p "$out" >/dev/null 2>&1 &
  pids+=("$!")
fi
cat > "$out/proxy.yaml" <<CONF
telemetry: { log_level: warning }
proxy:
  listen: "127.0.0.1:$proxy_port"
upstream:
  services:
    bench:
      endpoints: [{ address: "127.0.0.1", port: $upstream_port }]
CONF

kb() { awk -v f="$1:" '$1==f {print $2}' "/proc/$2/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {v = sprintf("%.0f", $2)} END {print (v == "" ? "—" : v)}'; }
mappings() { # the largest mappings of PID $1 by RSS, summed per file
  awk '/^[0-9a-f]+-[0-9a-f]+ /{n=$6; if(n=="") n="[anon]"} /^Rss:/{r[n]+=$2} END{for(n in r) printf "%d %s\n", r[n], n}' "/proc/$1/smaps" \
    | sort -rn | awk 'NR <= 25 { sub(".*/", "", $2); printf "| %s | %.1f |\n", $2, $1 / 1024 }'
}

# One run: writes "ms rss anon code file threads assemblies jitted" to $out/result; with DETAIL, the mappings go to
# $out/detail-$1. Runs in this shell, so one instance is gone before the next starts (they bind the same ports).
measure() {
  local name=$1; shift
  local port; port=$(free_port)
  local dir; dir=$(mktemp -d)
  local start end pid
  start=$(date +%s%N)
  (cd "$dir" && OUTRIGGER_ADMIN__ADDRESS=127.0.0.1:$port exec "$BIN" start "$@" >/dev/null 2>&1) &
  pid=$!
  pids+=("$pid")
  until curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "outrigger ($name) exited before it was ready (a port in use?)" >&2; exit 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  sleep 7
  echo "$(( (end - start) / 1000000 )) $(kb VmRSS $pid) $(kb RssAnon $pid) $(kb RssShmem $pid) $(kb RssFile $pid) $(kb Threads $pid)" \
    "$(metric "$port" dotnet_assembly_number) $(metric "$port" dotnet_jit_compiled_methods_total)" > "$out/result"
  if [ -n "${DETAIL:-}" ]; then mappings "$pid" > "$out/detail-$name"; fi
  if [ -n "${LOAD:-}" ] && [ "$name" = proxy-only ]; then
    local rps; rps=$(wrk -t1 -c16 -d10s "http://127.0.0.1:$proxy_port/2k" | awk '/Requests\/sec/ {printf "%.0f", $2}')
    echo "$(kb VmRSS $pid) $(kb VmHWM $pid) $(kb RssAnon $pid) $rps" > "$out/load"
  fi
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$dir"
}

echo "build: $build"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"); .NET $(dotnet --list-runtimes | awk '/NETCore/ {print $2}' | tail -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
loaded=
echo "| config | run | start→ready (ms) | RSS (MB) | anon | code | file | threads | assemblies | JIT'd methods |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for config in default proxy-only; do
  for i in $(seq 1 "$runs"); do
    if [ "$config" = default ]; then args=(); else args=(--config "$out/proxy.yaml"); fi
    measure "$config" "${args[@]}"
    read -r ms rss anon code file threads asm jit < "$out/result"
    echo "| $config | $i | $ms | $(mb "$rss") | $(mb "$anon") | $(mb "$code") | $(mb "$file") | $threads | $asm | $jit |"
    if [ -f "$out/load" ]; then
      read -r lrss hwm lanon rps < "$out/load"
      loaded+="| $config | $i | $(mb "$lrss") | $(mb "$hwm") | $(mb "$lanon") | $rps |"$'\n'
      rm "$out/load"
    fi
  done
done
if [ -n "$loaded" ]; then
  echo
  echo "Under load (wrk -t1 -c16 -d10s, 2 KB responses from nginx through the proxy; RSS at the end of the load):"
  echo
  echo "| config | run | RSS (MB) | peak RSS (VmHWM) | anon | req/s (shared cores: not a throughput figure) |"
  echo "|---|---|---|---|---|---|"
  printf '%s' "$loaded"
fi

"$out/floor/bin/floor" & floor=$!
pids+=("$floor")
sleep 5
echo
echo "Floor (empty .NET console app, same GC settings${floor_args:+, Native AOT}): RSS $(mb "$(kb VmRSS $floor)") MB = anon $(mb "$(kb RssAnon $floor)") + code $(mb "$(kb RssShmem $floor)") + file $(mb "$(kb RssFile $floor)")"
kill "$floor"; wait "$floor" 2>/dev/null || true

if [ -n "${DETAIL:-}" ]; then
  for config in default proxy-only; do
    echo
    echo "Largest mappings, $config (last run):"
    echo
    echo "| mapping | RSS (MB) |"
    echo "|---|---|"
    cat "$out/detail-$config"
  done
fi
