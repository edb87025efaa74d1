"""Talks to the sidecar's WorkflowStream without the SDK, to check how bad input is refused.

usage: raw_stream.py --sidecar HOST:PORT CASE   (CASE: garbage | huge | unknown-result | unknown-proposal | empty)
Prints one JSON line: {"status": grpc status name or "OK", "details": ..., "error": StreamError or null}.
"""

import argparse
import json
import queue
import sys

import grpc

parser = argparse.ArgumentParser()
parser.add_argument("--sdk", required=True)
parser.add_argument("--sidecar", required=True)
parser.add_argument("case")
args = parser.parse_args()
sys.path.insert(0, args.sdk)

from outrigger_client import sidecar_pb2 as pb  # noqa: E402

channel = grpc.insecure_channel(args.sidecar)
raw = channel.stream_stream("/raftoral.sidecar.RaftoralSidecar/WorkflowStream",
                            request_serializer=lambda b: b, response_deserializer=pb.SidecarMessage.FromString)

messages = {
    # Field 1 (register_workflow) claims 100 bytes but the frame ends: not a protobuf message.
    "garbage": b"\x0a\x64\xff\xff\xff",
    # 5 MiB: over the sidecar's 4 MiB message limit.
    "huge": pb.AppMessage(checkpoint_proposal=pb.CheckpointProposal(workflow_id="w", checkpoint_name="c", value=b"x" * (5 << 20))).SerializeToString(),
    "unknown-result": pb.AppMessage(workflow_result=pb.WorkflowResult(workflow_id="no-such-workflow", success=True, result=b"1")).SerializeToString(),
    "unknown-proposal": pb.AppMessage(checkpoint_proposal=pb.CheckpointProposal(workflow_id="no-such-workflow", checkpoint_name="c", value=b"1")).SerializeToString(),
    "empty": pb.AppMessage().SerializeToString(),
}

outgoing = queue.Queue()
outgoing.put(messages[args.case])


def requests():
    while True:
        item = outgoing.get()
        if item is None:
            return
        yield item


answer = {"status": "OK", "details": "", "error": None}
call = raw(requests(), timeout=10)
try:
    for message in call:
        if message.WhichOneof("message") == "error":
            answer["error"] = {"code": pb.StreamError.Code.Name(message.error.code), "message": message.error.message}
            outgoing.put(None)
except grpc.RpcError as e:
    answer["status"] = e.code().name
    answer["details"] = e.details()
print(json.dumps(answer), flush=True)
