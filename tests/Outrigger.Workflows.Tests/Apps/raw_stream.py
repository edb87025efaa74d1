"""Talks to the sidecar's WorkflowStream without the SDK, to check how bad input is refused.

usage: raw_stream.py --sdk DIR --sidecar HOST:PORT CASE   (CASE: garbage | huge | unknown-result | unknown-proposal | empty)
  Prints one JSON line: {"status": grpc status name or "OK", "details": ..., "error": StreamError or null}.

usage: raw_stream.py --sdk DIR --sidecar HOST:PORT [--sidecar HOST:PORT ...] --node URL --id ID non-owner
  Opens one stream per --sidecar (the same sidecar twice: two apps of one node; two sidecars: two nodes), each
  registers workflow "raw" v1; starts workflow ID over HTTP at --node; the stream that is told it owns it proposes a
  checkpoint over the size limit, then a good one, then the result; every other stream proposes too (it is not the
  owner). Prints one JSON line: {"non_owner_errors": [...], "too_large": StreamError, "committed": [...],
  "seen": {stream index: [checkpoint names]}, "executed": {stream index: is_owner}}.
"""

import argparse
import json
import queue
import sys
import threading
import urllib.request

import grpc

parser = argparse.ArgumentParser()
parser.add_argument("--sdk", required=True)
parser.add_argument("--sidecar", required=True, action="append")
parser.add_argument("--node")
parser.add_argument("--id", default="raw-1")
parser.add_argument("--too-large", type=int, default=(1 << 20) + 1)
parser.add_argument("case")
args = parser.parse_args()
sys.path.insert(0, args.sdk)

from outrigger_client import sidecar_pb2 as pb  # noqa: E402


def error_json(error):
    return {"code": pb.StreamError.Code.Name(error.code), "message": error.message,
            "workflow_id": error.workflow_id, "checkpoint_name": error.checkpoint_name}


class Stream:
    """One raw WorkflowStream: sends serialized AppMessages, collects SidecarMessages on a shared queue."""

    def __init__(self, index, address, inbox):
        self.index = index
        self.outgoing = queue.Queue()
        channel = grpc.insecure_channel(address)
        raw = channel.stream_stream("/raftoral.sidecar.RaftoralSidecar/WorkflowStream",
                                    request_serializer=lambda b: b, response_deserializer=pb.SidecarMessage.FromString)
        self.call = raw(self._requests(), timeout=60)
        self.status = None
        threading.Thread(target=self._read, args=(inbox,), daemon=True).start()

    def _requests(self):
        while True:
            item = self.outgoing.get()
            if item is None:
                return
            yield item

    def _read(self, inbox):
        try:
            for message in self.call:
                inbox.put((self.index, message))
        except grpc.RpcError as e:
            self.status = (e.code().name, e.details())
        inbox.put((self.index, None))

    def send(self, message):
        self.outgoing.put(message if isinstance(message, bytes) else message.SerializeToString())

    def close(self):
        self.outgoing.put(None)


def single(case):
    messages = {
        # Field 1 (register_workflow) claims 100 bytes but the frame ends: not a protobuf message.
        "garbage": b"\x0a\x64\xff\xff\xff",
        # 5 MiB: over the sidecar's 4 MiB message limit.
        "huge": pb.AppMessage(checkpoint_proposal=pb.CheckpointProposal(workflow_id="w", checkpoint_name="c", value=b"x" * (5 << 20))),
        "unknown-result": pb.AppMessage(workflow_result=pb.WorkflowResult(workflow_id="no-such-workflow", success=True, result=b"1")),
        "unknown-proposal": pb.AppMessage(checkpoint_proposal=pb.CheckpointProposal(workflow_id="no-such-workflow", checkpoint_name="c", value=b"1")),
        "empty": pb.AppMessage(),
    }
    inbox = queue.Queue()
    stream = Stream(0, args.sidecar[0], inbox)
    stream.send(messages[case])
    answer = {"status": "OK", "details": "", "error": None}
    while True:
        _, message = inbox.get(timeout=30)
        if message is None:
            break
        if message.WhichOneof("message") == "error":
            answer["error"] = error_json(message.error)
            stream.close()
    if stream.status is not None:
        answer["status"], answer["details"] = stream.status
    return answer


def proposal(name, value, sequence=None):
    p = pb.CheckpointProposal(workflow_id=args.id, checkpoint_name=name, value=value)
    if sequence is not None:
        p.sequence = sequence
    return pb.AppMessage(checkpoint_proposal=p)


def next_message(inbox, wanted, streams=None):
    """The next message of kind `wanted` (from one of `streams`), skipping heartbeats and other kinds."""
    while True:
        index, message = inbox.get(timeout=30)
        if message is None:
            raise SystemExit("stream %d ended: %s" % (index, streams_status()))
        kind = message.WhichOneof("message")
        if kind == "checkpoint_event":
            seen.setdefault(index, []).append(message.checkpoint_event.checkpoint_name)
        if kind == "execute_workflow":
            executed[index] = message.execute_workflow.is_owner
        if kind == wanted and (streams is None or index in streams):
            return index, message


def streams_status():
    return [s.status for s in all_streams]


seen = {}
executed = {}
all_streams = []


def non_owner():
    inbox = queue.Queue()
    for i, address in enumerate(args.sidecar):
        stream = Stream(i, address, inbox)
        all_streams.append(stream)
        stream.send(pb.AppMessage(register_workflow=pb.RegisterWorkflowRequest(workflow_name="raw", version=1)))
    registered = set()
    while len(registered) < len(all_streams):
        index, _ = next_message(inbox, "workflow_registered")
        registered.add(index)

    body = json.dumps({"name": "raw", "version": 1, "input": "x", "workflow_id": args.id}).encode()
    request = urllib.request.Request(args.node + "/workflow/execute", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()

    while not any(executed.values()):
        next_message(inbox, "execute_workflow")
    owner = next(i for i, is_owner in executed.items() if is_owner)
    others = [s for s in all_streams if s.index != owner]

    answer = {"non_owner_errors": [], "too_large": None}
    for stream in others:
        stream.send(proposal("c", b'"from a non-owner"', 0))
        _, message = next_message(inbox, "error", {stream.index})
        answer["non_owner_errors"].append(error_json(message.error))

    all_streams[owner].send(proposal("c", b"x" * args.too_large, 0))
    _, message = next_message(inbox, "error", {owner})
    answer["too_large"] = error_json(message.error)

    all_streams[owner].send(proposal("c", b'"ok"', 0))
    next_message(inbox, "checkpoint_event", {owner})
    all_streams[owner].send(pb.AppMessage(workflow_result=pb.WorkflowResult(workflow_id=args.id, success=True, result=b'"done"')))
    with urllib.request.urlopen("%s/workflow/wait?workflow_id=%s&timeout_seconds=20" % (args.node, args.id), timeout=30) as r:
        answer["result"] = json.loads(r.read())
    with urllib.request.urlopen("%s/workflows/%s" % (args.node, args.id), timeout=30) as r:
        answer["committed"] = [c["name"] for c in json.loads(r.read())["checkpoints"]]
    # Standbys (other nodes) get the committed checkpoint too; give them a moment.
    for stream in others:
        if executed.get(stream.index) is False and not seen.get(stream.index):
            try:
                next_message(inbox, "checkpoint_event", {stream.index})
            except queue.Empty:
                pass
    answer["seen"] = {str(k): v for k, v in seen.items()}
    answer["executed"] = {str(k): v for k, v in executed.items()}
    for stream in all_streams:
        stream.close()
    return answer


print(json.dumps(non_owner() if args.case == "non-owner" else single(args.case)), flush=True)
