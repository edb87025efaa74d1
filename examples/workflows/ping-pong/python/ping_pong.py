"""The ping_pong workflow of spec 003 as a Python app: input "ping" -> checkpoint "result" -> "pong".

The sidecar URL comes from RAFTORAL_SIDECAR_URL (default 127.0.0.1:9001). Needs grpcio and protobuf
(Debian: apt-get install python3-grpcio). Stop with Ctrl+C or SIGTERM.
"""

import os
import signal
import sys
import threading

# The SDK lives in sdk/python of this repository (or install it on PYTHONPATH).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "sdk", "python"))

from outrigger_client import WorkflowClient  # noqa: E402

url = os.environ.get("RAFTORAL_SIDECAR_URL", "127.0.0.1:9001")
client = WorkflowClient(url)


@client.workflow("ping_pong", 1)
def ping_pong(ctx, value):
    return ctx.checkpoint("result", lambda: "pong" if value == "ping" else "ping")


def announce():
    if client.wait_registered(60):
        print("ping-pong (Python) registered ping_pong v1 with the sidecar at %s" % url, flush=True)


signal.signal(signal.SIGTERM, lambda *_: client.stop())
signal.signal(signal.SIGINT, lambda *_: client.stop())
threading.Thread(target=announce, daemon=True).start()
client.run()
