#!/bin/sh
# Regenerates the checked-in protobuf modules from protos/raftoral. The sidecar proto uses proto3 `optional`, which the
# protoc of Debian's python3-grpc-tools (3.5) rejects, so this uses the protoc of the Grpc.Tools NuGet package
# (restored by `dotnet build`) and drops the runtime-version check its output carries, so the modules load on the
# protobuf runtime Debian ships (python3-protobuf 4.21).
set -e
here=$(cd "$(dirname "$0")" && pwd)
protos="$here/../../protos/raftoral"
protoc=${PROTOC:-$(ls -d "$HOME"/.nuget/packages/grpc.tools/*/tools/linux_x64/protoc | tail -1)}
out="$here/outrigger_client"
"$protoc" -I "$protos/sidecar" --python_out="$out" "$protos/sidecar/sidecar.proto"
"$protoc" -I "$protos" --python_out="$out" "$protos/raftoral.proto"
for f in "$out/sidecar_pb2.py" "$out/raftoral_pb2.py"; do
  /usr/bin/python3 - "$f" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = text.replace("from google.protobuf import runtime_version as _runtime_version\n", "")
text = re.sub(r"_runtime_version\.ValidateProtobufRuntimeVersion\(.*?\n\)\n", "", text, flags=re.S)
open(path, "w").write(text)
PY
  chmod 644 "$f"
done
