#!/usr/bin/python3
"""A minimal OTLP receiver for tests/Aot/run.sh: accepts OTLP/HTTP (POST /v1/traces, /v1/metrics) on one port and
OTLP/gRPC (any unary method, e.g. /opentelemetry.proto.collector.trace.v1.TraceService/Export) on another, answers
each with an empty (valid) Export*ServiceResponse, and appends "protocol path bytes" per request to LOG.

Usage: otlp_receiver.py HTTP_PORT GRPC_PORT LOG
"""
import http.server
import sys
import threading
from concurrent import futures

import grpc

HTTP_PORT, GRPC_PORT, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()


def record(protocol, path, size):
    with lock, open(LOG, "a") as f:
        f.write("%s %s %d\n" % (protocol, path, size))


class Http(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        record("http", self.path, len(body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class AnyUnary(grpc.GenericRpcHandler):
    def service(self, details):
        method = details.method

        def export(request, context):
            record("grpc", method, len(request))
            return b""

        return grpc.unary_unary_rpc_method_handler(export)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[AnyUnary()])
server.add_insecure_port("127.0.0.1:%d" % GRPC_PORT)
server.start()
http.server.ThreadingHTTPServer(("127.0.0.1", HTTP_PORT), Http).serve_forever()
