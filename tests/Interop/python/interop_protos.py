"""Compiles the interop protos (protos/grpc/testing) with grpc_tools into a temporary folder and imports them.

The files are copied under the module folder `outrigger_interop` because a Python package `grpc.testing`
would clash with the installed `grpc` package; the proto package (grpc.testing) and so the wire names are unchanged.
"""
import atexit
import importlib
import os
import shutil
import sys
import tempfile

PROTO_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "protos", "grpc", "testing"))
MODULE = "outrigger_interop"


def load():
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="outrigger-interop-py-")
    atexit.register(shutil.rmtree, out, True)
    os.makedirs(os.path.join(out, MODULE))
    files = []
    for name in ("empty.proto", "messages.proto", "test.proto"):
        with open(os.path.join(PROTO_DIR, name), encoding="utf-8") as f:
            text = f.read().replace('import "grpc/testing/', 'import "%s/' % MODULE)
        with open(os.path.join(out, MODULE, name), "w", encoding="utf-8") as f:
            f.write(text)
        files.append(os.path.join(MODULE, name))
    code = protoc.main(["protoc", "-I" + out, "--python_out=" + out, "--grpc_python_out=" + out] + [os.path.join(out, f) for f in files])
    if code != 0:
        raise RuntimeError("protoc failed with exit code %d for %s" % (code, files))
    sys.path.insert(0, out)
    return (
        importlib.import_module(MODULE + ".empty_pb2"),
        importlib.import_module(MODULE + ".messages_pb2"),
        importlib.import_module(MODULE + ".test_pb2_grpc"),
    )
