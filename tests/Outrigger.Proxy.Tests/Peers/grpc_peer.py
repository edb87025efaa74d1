"""A real gRPC peer (Debian python3-grpcio) for the proxy tests, with raw-bytes methods (no protoc needed).

server PORT        serves /test.Echo/Unary (echo), /test.Echo/Stream (3 messages), /test.Echo/Fail (NOT_FOUND)
client TARGET      calls all three through TARGET and prints one line per result
"""
import sys
from concurrent import futures

import grpc


def unary(request, context):
    context.set_trailing_metadata((("x-trailer", "unary"),))
    return b"echo:" + request


def stream(request, context):
    for i in range(3):
        yield b"%s-%d" % (request, i)


def fail(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")


def serve(port):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    server.add_insecure_port("127.0.0.1:%s" % port)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


def client(target):
    with grpc.insecure_channel(target) as channel:
        response, call = channel.unary_unary("/test.Echo/Unary").with_call(b"hi", timeout=10)
        print("unary %s trailer=%s" % (response.decode(), dict(call.trailing_metadata()).get("x-trailer")))
        print("stream " + ",".join(m.decode() for m in channel.unary_stream("/test.Echo/Stream")(b"s", timeout=10)))
        try:
            channel.unary_unary("/test.Echo/Fail")(b"x", timeout=10)
            print("fail none")
        except grpc.RpcError as e:
            print("fail %s %s" % (e.code().name, e.details()))


if __name__ == "__main__":
    serve(sys.argv[2]) if sys.argv[1] == "server" else client(sys.argv[2])
