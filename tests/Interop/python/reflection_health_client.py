#!/usr/bin/python3
"""Checks a server's grpc.health.v1.Health and grpc.reflection (v1 and v1alpha) with Python grpcio and protobuf.

Usage: reflection_health_client.py --server_port=N [--server_host=H]
Prints "PASS name" or "FAIL name: reason" per check; exits 1 if any failed. The server must serve
grpc.testing.TestService (health status SERVING for "" and for it) and describe test.proto through reflection.
"""
import argparse
import importlib
import os
import shutil
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2

PROTOS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "protos"))


def compile_protos():
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="outrigger-reflection-py-")
    files = {"health": "grpc/health/v1/health.proto", "v1": "grpc/reflection/v1/reflection.proto", "v1alpha": "grpc/reflection/v1alpha/reflection.proto"}
    modules = {}
    sys.path.insert(0, out)
    for key, relative in files.items():
        # Copied under a private module name: a Python package named "grpc" would clash with grpcio.
        name = "outrigger_%s" % key
        os.makedirs(os.path.join(out, name))
        shutil.copy(os.path.join(PROTOS, relative), os.path.join(out, name, os.path.basename(relative)))
        source = os.path.join(out, name, os.path.basename(relative))
        if protoc.main(["protoc", "-I" + out, "--python_out=" + out, "--grpc_python_out=" + out, source]) != 0:
            raise RuntimeError("protoc failed for " + relative)
        stem = os.path.splitext(os.path.basename(relative))[0]
        modules[key] = importlib.import_module("%s.%s_pb2" % (name, stem))
        modules[key + "_grpc"] = importlib.import_module("%s.%s_pb2_grpc" % (name, stem))
    shutil.rmtree(out, True)
    return modules


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server_host", default="127.0.0.1")
    parser.add_argument("--server_port", type=int, required=True)
    args, _ = parser.parse_known_args()
    m = compile_protos()
    channel = grpc.insecure_channel("%s:%d" % (args.server_host, args.server_port))
    health = m["health_grpc"].HealthStub(channel)
    serving = m["health"].HealthCheckResponse.SERVING

    def health_check():
        for service in ("", "grpc.testing.TestService"):
            status = health.Check(m["health"].HealthCheckRequest(service=service)).status
            check(status == serving, "status of %r is %s" % (service, status))
        try:
            health.Check(m["health"].HealthCheckRequest(service="no.such.Service"))
            raise Failure("unknown service did not fail")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.NOT_FOUND, "unknown service gave %s" % e.code())

    def health_watch():
        stream = health.Watch(m["health"].HealthCheckRequest(service="grpc.testing.TestService"), timeout=5)
        check(next(stream).status == serving, "first watched status is not SERVING")
        stream.cancel()
        unknown = health.Watch(m["health"].HealthCheckRequest(service="no.such.Service"), timeout=5)
        check(next(unknown).status == m["health"].HealthCheckResponse.SERVICE_UNKNOWN, "unknown service not SERVICE_UNKNOWN")
        unknown.cancel()

    def reflection(version):
        pb, stub = m[version], m[version + "_grpc"].ServerReflectionStub(channel)
        requests = [
            pb.ServerReflectionRequest(list_services=""),
            pb.ServerReflectionRequest(file_containing_symbol="grpc.testing.TestService"),
            pb.ServerReflectionRequest(file_by_filename="grpc/testing/messages.proto"),
            pb.ServerReflectionRequest(file_containing_symbol="grpc.testing.SimpleRequest.response_size"),
            pb.ServerReflectionRequest(file_containing_symbol="no.such.Symbol"),
        ]
        responses = list(stub.ServerReflectionInfo(iter(requests), timeout=10))
        check(len(responses) == len(requests), "%d responses to %d requests" % (len(responses), len(requests)))
        names = {s.name for s in responses[0].list_services_response.service}
        for expected in ("grpc.testing.TestService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"):
            check(expected in names, "%s not listed in %s" % (expected, sorted(names)))
        files = {}
        for raw in responses[1].file_descriptor_response.file_descriptor_proto:
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files[proto.name] = proto
        check({"grpc/testing/test.proto", "grpc/testing/messages.proto", "grpc/testing/empty.proto"} <= set(files), "files %s" % sorted(files))
        methods = {m.name for s in files["grpc/testing/test.proto"].service if s.name == "TestService" for m in s.method}
        check({"EmptyCall", "UnaryCall", "FullDuplexCall", "StreamingOutputCall"} <= methods, "methods %s" % sorted(methods))
        messages = descriptor_pb2.FileDescriptorProto.FromString(responses[2].file_descriptor_response.file_descriptor_proto[0])
        check(messages.name == "grpc/testing/messages.proto" and any(t.name == "SimpleRequest" for t in messages.message_type), "messages.proto not served")
        check(len(responses[3].file_descriptor_response.file_descriptor_proto) > 0, "field symbol not found")
        check(responses[4].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0], "unknown symbol gave %s" % responses[4])

    checks = [("health_check", health_check), ("health_watch", health_watch),
              ("reflection_v1", lambda: reflection("v1")), ("reflection_v1alpha", lambda: reflection("v1alpha"))]
    failed = 0
    for name, run in checks:
        try:
            run()
            print("PASS " + name, flush=True)
        except (Failure, grpc.RpcError, StopIteration) as e:
            failed += 1
            print("FAIL %s: %r" % (name, e), flush=True)
    channel.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
