#!/usr/bin/python3
"""Interop test client on Python grpcio, written from the gRPC interop test descriptions.

Usage: interop_client.py --server_host=H --server_port=N --test_case=NAME[,NAME...] [--use_tls=true]
       [--server_host_override=NAME]
Prints "PASS name" or "FAIL name: reason" per case; exits 1 if any failed.
"""
import argparse
import os
import queue
import sys

import grpc

import interop_protos

empty_pb2, messages_pb2, test_pb2_grpc = interop_protos.load()
CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "certs")
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def payload(size):
    return messages_pb2.Payload(body=b"\0" * size)


def check_payload(p, size):
    check(len(p.body) == size, "payload of %d bytes, expected %d" % (len(p.body), size))
    check(p.body == b"\0" * size, "payload is not all zeros")


def expect_code(code, action):
    try:
        action()
    except grpc.RpcError as e:
        check(e.code() == code, "expected %s, got %s: %s" % (code, e.code(), e.details()))
        return e
    raise Failure("expected %s, but the call succeeded" % code)


def large_request(**kwargs):
    return messages_pb2.SimpleRequest(response_size=314159, payload=payload(271828), **kwargs)


def duplex_request(response_size, request_size):
    return messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=response_size)], payload=payload(request_size))


class Requests:
    """A request iterator fed from the test: put() messages, close() to half-close."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def put(self, message):
        self._queue.put(message)

    def close(self):
        self._queue.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._END:
            raise StopIteration
        return item


class Cases:
    def __init__(self, stub, unimplemented_stub):
        self.stub = stub
        self.unimplemented_stub = unimplemented_stub

    def empty_unary(self):
        check(isinstance(self.stub.EmptyCall(empty_pb2.Empty()), empty_pb2.Empty), "not an Empty")

    def large_unary(self):
        check_payload(self.stub.UnaryCall(large_request()).payload, 314159)

    def client_compressed_unary(self):
        expect = messages_pb2.BoolValue(value=True)
        expect_code(grpc.StatusCode.INVALID_ARGUMENT, lambda: self.stub.UnaryCall(large_request(expect_compressed=expect)))
        check_payload(self.stub.UnaryCall(large_request(expect_compressed=expect), compression=grpc.Compression.Gzip).payload, 314159)
        check_payload(self.stub.UnaryCall(large_request(expect_compressed=messages_pb2.BoolValue(value=False))).payload, 314159)

    def server_compressed_unary(self):
        for compressed in (True, False):
            request = large_request(response_compressed=messages_pb2.BoolValue(value=compressed))
            check_payload(self.stub.UnaryCall(request).payload, 314159)

    def client_streaming(self):
        requests = [messages_pb2.StreamingInputCallRequest(payload=payload(s)) for s in (27182, 8, 1828, 45904)]
        response = self.stub.StreamingInputCall(iter(requests))
        check(response.aggregated_payload_size == 74922, "aggregated %d" % response.aggregated_payload_size)

    def client_compressed_streaming(self):
        expect = messages_pb2.BoolValue(value=True)
        probe = [messages_pb2.StreamingInputCallRequest(expect_compressed=expect, payload=payload(27182))]
        expect_code(grpc.StatusCode.INVALID_ARGUMENT, lambda: self.stub.StreamingInputCall(iter(probe)))
        # grpcio cannot leave one message of a compressed call uncompressed, so both messages are sent compressed.
        requests = [messages_pb2.StreamingInputCallRequest(expect_compressed=expect, payload=payload(s)) for s in (27182, 45904)]
        response = self.stub.StreamingInputCall(iter(requests), compression=grpc.Compression.Gzip)
        check(response.aggregated_payload_size == 73086, "aggregated %d" % response.aggregated_payload_size)

    def _check_stream(self, request, sizes):
        responses = list(self.stub.StreamingOutputCall(request))
        check(len(responses) == len(sizes), "%d responses, expected %d" % (len(responses), len(sizes)))
        for response, size in zip(responses, sizes):
            check_payload(response.payload, size)

    def server_streaming(self):
        sizes = (31415, 9, 2653, 58979)
        request = messages_pb2.StreamingOutputCallRequest(response_parameters=[messages_pb2.ResponseParameters(size=s) for s in sizes])
        self._check_stream(request, sizes)

    def server_compressed_streaming(self):
        request = messages_pb2.StreamingOutputCallRequest(response_parameters=[
            messages_pb2.ResponseParameters(compressed=messages_pb2.BoolValue(value=True), size=31415),
            messages_pb2.ResponseParameters(compressed=messages_pb2.BoolValue(value=False), size=92653)])
        self._check_stream(request, (31415, 92653))

    def ping_pong(self):
        requests = Requests()
        responses = self.stub.FullDuplexCall(requests)
        for response_size, request_size in ((31415, 27182), (9, 8), (2653, 1828), (58979, 45904)):
            requests.put(duplex_request(response_size, request_size))
            check_payload(next(responses).payload, response_size)
        requests.close()
        check(next(responses, None) is None, "more responses than requests")

    def empty_stream(self):
        check(list(self.stub.FullDuplexCall(iter([]))) == [], "an empty request stream got responses")

    def cancel_after_begin(self):
        requests = Requests()
        future = self.stub.StreamingInputCall.future(requests)
        future.cancel()
        check(future.cancelled(), "the call was not cancelled")
        check(future.code() == grpc.StatusCode.CANCELLED, "status %s, expected CANCELLED" % future.code())
        requests.close()

    def cancel_after_first_response(self):
        requests = Requests()
        responses = self.stub.FullDuplexCall(requests)
        requests.put(duplex_request(31415, 27182))
        check_payload(next(responses).payload, 31415)
        responses.cancel()
        expect_code(grpc.StatusCode.CANCELLED, lambda: next(responses))
        requests.close()

    def timeout_on_sleeping_server(self):
        requests = Requests()
        responses = self.stub.FullDuplexCall(requests, timeout=0.001)
        requests.put(messages_pb2.StreamingOutputCallRequest(payload=payload(27182)))
        expect_code(grpc.StatusCode.DEADLINE_EXCEEDED, lambda: next(responses))
        requests.close()

    def custom_metadata(self):
        trailing = b"\xab\xab\xab"
        metadata = (("x-grpc-test-echo-initial", "test_initial_metadata_value"), ("x-grpc-test-echo-trailing-bin", trailing))

        def check_echo(call):
            initial = dict(call.initial_metadata())
            check(initial.get("x-grpc-test-echo-initial") == "test_initial_metadata_value", "initial metadata %r" % initial)
            trailers = dict(call.trailing_metadata())
            check(trailers.get("x-grpc-test-echo-trailing-bin") == trailing, "trailing metadata %r" % trailers)

        response, call = self.stub.UnaryCall.with_call(large_request(), metadata=metadata)
        check_payload(response.payload, 314159)
        check_echo(call)
        responses = self.stub.FullDuplexCall(iter([duplex_request(314159, 271828)]), metadata=metadata)
        items = list(responses)
        check(len(items) == 1, "%d responses, expected 1" % len(items))
        check_payload(items[0].payload, 314159)
        check_echo(responses)

    def _echo_status(self, message, streaming):
        status = messages_pb2.EchoStatus(code=2, message=message)
        error = expect_code(grpc.StatusCode.UNKNOWN, lambda: self.stub.UnaryCall(messages_pb2.SimpleRequest(response_status=status)))
        check(error.details() == message, "unary details %r, expected %r" % (error.details(), message))
        if streaming:
            call = self.stub.FullDuplexCall(iter([messages_pb2.StreamingOutputCallRequest(response_status=status)]))
            error = expect_code(grpc.StatusCode.UNKNOWN, lambda: list(call))
            check(error.details() == message, "streaming details %r, expected %r" % (error.details(), message))

    def status_code_and_message(self):
        self._echo_status("test status message", streaming=True)

    def special_status_message(self):
        self._echo_status(SPECIAL_MESSAGE, streaming=False)

    def unimplemented_method(self):
        expect_code(grpc.StatusCode.UNIMPLEMENTED, lambda: self.stub.UnimplementedCall(empty_pb2.Empty()))

    def unimplemented_service(self):
        expect_code(grpc.StatusCode.UNIMPLEMENTED, lambda: self.unimplemented_stub.UnimplementedCall(empty_pb2.Empty()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server_host", default="localhost")
    parser.add_argument("--server_port", type=int, required=True)
    parser.add_argument("--test_case", default="large_unary")
    parser.add_argument("--use_tls", default="false")
    parser.add_argument("--server_host_override", default="")
    args, _ = parser.parse_known_args()
    target = "%s:%d" % (args.server_host, args.server_port)
    if args.use_tls == "true":
        with open(os.path.join(CERTS, "ca.pem"), "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        options = (("grpc.ssl_target_name_override", args.server_host_override or "localhost"),)
        channel = grpc.secure_channel(target, credentials, options)
    else:
        channel = grpc.insecure_channel(target)
    cases = Cases(test_pb2_grpc.TestServiceStub(channel), test_pb2_grpc.UnimplementedServiceStub(channel))
    failed = 0
    for name in filter(None, args.test_case.split(",")):
        try:
            getattr(cases, name)()
            print("PASS " + name, flush=True)
        except (Failure, grpc.RpcError, AttributeError) as e:
            failed += 1
            print("FAIL %s: %s" % (name, e), flush=True)
    channel.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
