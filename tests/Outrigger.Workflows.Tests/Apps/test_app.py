"""A Python app on the SDK with the test workflows (the same as TestApp.cs): ping_pong, counter, fail.

usage: test_app.py --sdk SDK_DIR --sidecar URL --log FILE [--version-of-ping-pong N]
Every checkpoint value it returns and every computation it makes are appended to --log.
"""

import argparse
import signal
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--sdk", required=True)
parser.add_argument("--sidecar", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--ping-pong-version", type=int, default=1)
args = parser.parse_args()
sys.path.insert(0, args.sdk)

from outrigger_client import WorkflowClient  # noqa: E402

lock = threading.Lock()


def write(line):
    with lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


client = WorkflowClient(args.sidecar, heartbeat_interval=1.0)


@client.workflow("ping_pong", args.ping_pong_version)
def ping_pong(ctx, value):
    return ctx.checkpoint("result", lambda: "pong" if value == "ping" else "ping")


@client.workflow("counter", 1)
def counter(ctx, value):
    total = 0
    for i in range(value["n"]):
        def compute(step=i):
            write("compute %s step-%d" % (ctx.workflow_id, step))
            if value.get("delay_ms", 0) > 0:
                time.sleep(value["delay_ms"] / 1000.0)
            return step * 10
        result = ctx.checkpoint_compute("step-%d" % i, compute)
        write("cp %s step-%d %d" % (ctx.workflow_id, i, result))
        total += result
    return total


@client.workflow("fail", 1)
def fail(ctx, value):
    raise RuntimeError("failing on purpose: %s" % value)


signal.signal(signal.SIGTERM, lambda *_: client.stop())


def announce():
    if client.wait_registered(30):
        print("REGISTERED", flush=True)


threading.Thread(target=announce, daemon=True).start()
client.run()
