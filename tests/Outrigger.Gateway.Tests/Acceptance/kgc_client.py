"""A real grpcio client for knhk.sidecar.v1.KgcSidecar (and knhk.warm.v1.WarmOrchestrator), driven by the C# tests.

Usage: kgc_client.py DESCRIPTOR_SET < job.json > results.json

The messages come from a FileDescriptorSet made by protoc at test time (Debian's grpc_tools cannot compile proto3
`optional`, and Grpc.Tools' newer python_out needs a newer protobuf runtime than Debian's). The job is
{"target": "127.0.0.1:PORT", "service": "knhk.sidecar.v1.KgcSidecar", "calls": [{"method", "request", "metadata"}]};
every call is started at once (futures on one channel) and the results are printed in call order:
{"code", "details", "response", "latency_ms"}.
"""
import json
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

METHODS = {
    "SubmitTransaction": ("knhk.sidecar.v1.Transaction", "knhk.sidecar.v1.TransactionResponse"),
    "SubmitQuery": ("knhk.sidecar.v1.Query", "knhk.sidecar.v1.QueryResponse"),
    "HealthCheck": ("knhk.sidecar.v1.HealthCheckRequest", "knhk.sidecar.v1.HealthCheckResponse"),
    "SubmitBatch": ("knhk.warm.v1.BatchRequest", "knhk.warm.v1.BatchResponse"),
}


def load_classes(descriptor_set):
    files = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set, "rb") as f:
        files.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    factory = message_factory.MessageFactory(pool)
    return lambda name: factory.GetPrototype(pool.FindMessageTypeByName(name))


def main():
    message_class = load_classes(sys.argv[1])
    job = json.load(sys.stdin)
    service = job.get("service", "knhk.sidecar.v1.KgcSidecar")
    options = [("grpc.max_send_message_length", 64 * 1024 * 1024), ("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    with grpc.insecure_channel(job["target"], options=options) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        started = []
        for call in job["calls"]:
            request_type, response_type = (message_class(n) for n in METHODS[call["method"]])
            stub = channel.unary_unary(
                "/%s/%s" % (service, call["method"]),
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=response_type.FromString)
            request = json_format.ParseDict(call.get("request", {}), request_type())
            metadata = [tuple(kv) for kv in call.get("metadata", [])]
            started.append((time.monotonic(), stub.future(request, timeout=job.get("timeout", 30), metadata=metadata)))
        results = [collect(start, future) for start, future in started]
    json.dump(results, sys.stdout)


def collect(start, future):
    try:
        response = future.result()
        code, details = "OK", ""
        body = json_format.MessageToDict(response, preserving_proto_field_name=True, including_default_value_fields=True)
    except grpc.RpcError as error:
        code, details, body = error.code().name, error.details() or "", None
    return {"code": code, "details": details, "response": body, "latency_ms": (time.monotonic() - start) * 1000}


if __name__ == "__main__":
    main()
