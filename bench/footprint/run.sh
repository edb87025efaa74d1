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
#   bench/footprint/run.sh [runs]           # default 3 runs per configuration; prints Markdown
#   BIN=/path/to/outrigger bench/footprint/run.sh      # measure an existing build
#   DETAIL=1 bench/footprint/run.sh 1       # also the 25 largest mappings of each configuration (/proc/PID/smaps)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
out=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"' EXIT
if [ -z "${BIN:-}" ]; then
  dotnet build src/Outrigger -c Release -o "$out/outrigger" -nologo -v quiet >/dev/null
  BIN=$out/outrigger/outrigger
fi

# The floor: an empty .NET console app with the same GC settings.
mkdir -p "$out/floor"
cat > "$out/floor/floor.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>
  <ServerGarbageCollector>false</ServerGarbageCollector><ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
  <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup>
</Project>
XML
echo 'System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);' > "$out/floor/Program.cs"
(cd "$out/floor" && dotnet publish -c Release -o bin -nologo -v quiet --source /opt/nuget/packages >/dev/null 2>&1 || dotnet publish -c Release -o bin -nologo -v quiet >/dev/null)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
proxy_port=$(free_port)
cat > "$out/proxy.yaml" <<CONF
telemetry: { log_level: warning }
proxy:
  listen: "127.0.0.1:$proxy_port"
upstream:
  services:
    bench:
      endpoints: [{ address: "127.0.0.1", port: 9 }]
CONF

kb() { awk -v f="$1:" '$1==f {print $2}' "/proc/$2/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {printf "%.0f", $2}'; }
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
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$dir"
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"); .NET $(dotnet --list-runtimes | awk '/NETCore/ {print $2}' | tail -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| config | run | start→ready (ms) | RSS (MB) | anon | code | file | threads | assemblies | JIT'd methods |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for config in default proxy-only; do
  for i in $(seq 1 "$runs"); do
    if [ "$config" = default ]; then args=(); else args=(--config "$out/proxy.yaml"); fi
    measure "$config" "${args[@]}"
    read -r ms rss anon code file threads asm jit < "$out/result"
    echo "| $config | $i | $ms | $(mb "$rss") | $(mb "$anon") | $(mb "$code") | $(mb "$file") | $threads | $asm | $jit |"
  done
done

"$out/floor/bin/floor" & floor=$!
pids+=("$floor")
sleep 5
echo
echo "Floor (empty .NET console app, same GC settings): RSS $(mb "$(kb VmRSS $floor)") MB = anon $(mb "$(kb RssAnon $floor)") + code $(mb "$(kb RssShmem $floor)") + file $(mb "$(kb RssFile $floor)")"
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
