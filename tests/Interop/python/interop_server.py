#!/usr/bin/python3
"""grpc.testing.TestService served by Python grpcio, written from the gRPC interop test descriptions.

Usage: interop_server.py --port=N [--use_tls=true]. Prints "listening on N" once serving; stops on SIGTERM/SIGINT.
"""
import argparse
import os
import signal
import threading
import time
from concurrent import futures

import grpc

import interop_protos

empty_pb2, messages_pb2, test_pb2_grpc = interop_protos.load()
CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "certs")


def payload(size):
    return messages_pb2.Payload(type=messages_pb2.COMPRESSABLE, body=b"\0" * size)


def echo_metadata(context):
    metadata = dict(context.invocation_metadata())
    if "x-grpc-test-echo-initial" in metadata:
        context.send_initial_metadata((("x-grpc-test-echo-initial", metadata["x-grpc-test-echo-initial"]),))
    if "x-grpc-test-echo-trailing-bin" in metadata:
        context.set_trailing_metadata((("x-grpc-test-echo-trailing-bin", metadata["x-grpc-test-echo-trailing-bin"]),))


def check_expect_compressed(expect, context):
    """grpcio hides a request's compression (no per-message flag, and grpc-encoding is not in the metadata), so the
    interop check "reject a message whose compression differs from expect_compressed" cannot be made here: accepted."""


def abort_if_status(status, context):
    if status.code != 0:
        code = next(c for c in grpc.StatusCode if c.value[0] == status.code)
        context.abort(code, status.message)


class TestService(test_pb2_grpc.TestServiceServicer):
    def EmptyCall(self, request, context):
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        echo_metadata(context)
        check_expect_compressed(request.expect_compressed, context)
        abort_if_status(request.response_status, context)
        if request.response_compressed.value:
            context.set_compression(grpc.Compression.Gzip)
        return messages_pb2.SimpleResponse(payload=payload(request.response_size))

    CacheableUnaryCall = UnaryCall

    def StreamingOutputCall(self, request, context):
        echo_metadata(context)
        yield from self._responses(request, context)
        abort_if_status(request.response_status, context)

    def StreamingInputCall(self, request_iterator, context):
        total = 0
        for request in request_iterator:
            check_expect_compressed(request.expect_compressed, context)
            total += len(request.payload.body)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        echo_metadata(context)
        for request in request_iterator:
            abort_if_status(request.response_status, context)
            yield from self._responses(request, context)

    def HalfDuplexCall(self, request_iterator, context):
        requests = list(request_iterator)
        for request in requests:
            yield from self._responses(request, context)

    @staticmethod
    def _responses(request, context):
        if any(p.compressed.value for p in request.response_parameters):
            context.set_compression(grpc.Compression.Gzip)
        for parameters in request.response_parameters:
            if parameters.interval_us:
                time.sleep(parameters.interval_us / 1e6)
            if not parameters.compressed.value:
                context.disable_next_message_compression()
            yield messages_pb2.StreamingOutputCallResponse(payload=payload(parameters.size))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--use_tls", default="false")
    args, _ = parser.parse_known_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    address = "[::]:%d" % args.port
    if args.use_tls == "true":
        with open(os.path.join(CERTS, "server.key"), "rb") as k, open(os.path.join(CERTS, "server.pem"), "rb") as c:
            port = server.add_secure_port(address, grpc.ssl_server_credentials(((k.read(), c.read()),)))
    else:
        port = server.add_insecure_port(address)
    server.start()
    print("listening on %d" % port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(1).wait()


if __name__ == "__main__":
    main()
