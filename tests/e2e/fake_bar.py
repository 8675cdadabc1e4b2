"""A misbehaving stand-in for bar, on the real gRPC runtime (python3-grpcio),
for the failure paths of foo: slow answers, errors and malformed replies.

    python3 tests/e2e/fake_bar.py PORT MODE
    MODE: slow:<ms> | error | garbage | value:<text>
"""

import sys
import threading
import time
from concurrent import futures

import grpc


def encode_get_bar_response(value):
    """GetBarResponse{value} by hand: field 1, length-delimited (tag 0x0a)."""
    data = value.encode()
    assert len(data) < 128
    return b"\x0a" + bytes([len(data)]) + data


class Handler(grpc.GenericRpcHandler):
    def __init__(self, mode):
        self.mode = mode

    def service(self, handler_call_details):
        if handler_call_details.method != "/bar.v1.BarService/GetBar":
            return None
        return grpc.unary_unary_rpc_method_handler(self.get_bar)

    def get_bar(self, request, context):
        kind, _, arg = self.mode.partition(":")
        if kind == "slow":
            time.sleep(int(arg) / 1000)
            return encode_get_bar_response("bar")
        if kind == "error":
            context.abort(grpc.StatusCode.INTERNAL, "fake bar fails on purpose")
        if kind == "garbage":
            return b"\xff\xff\xff"
        return encode_get_bar_response(arg)


def main():
    port, mode = sys.argv[1], sys.argv[2]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         handlers=[Handler(mode)])
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print(f"fake bar on {port} ({mode})", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
