"""foo written the way this exercise is usually written in Python: a Flask
app whose GET /foo calls bar's GetBar over gRPC and answers "foo" + "bar".

The benchmark runs it two ways (bench/targets.py):

- common: Flask's development server (app.run, threaded as Flask defaults),
  opening a new gRPC channel for every request (BENCH_CHANNEL=per-request);
- good: the same app under gunicorn, one worker per core, each worker with
  one channel it opens on first use and keeps (BENCH_CHANNEL=per-process;
  bench/python/gunicorn_conf.py opens it right after the fork).

BAR_ADDR is bar's host:port. The request and the answer are encoded by hand:
GetBarRequest is an empty message (zero bytes) and GetBarResponse carries one
string, field 1, so no generated code is needed.
"""

import os
import sys

import grpc
from flask import Flask, Response

METHOD = "/bar.v1.BarService/GetBar"
BAR_ADDR = os.environ.get("BAR_ADDR", "127.0.0.1:50051")
TIMEOUT_S = float(os.environ.get("BAR_TIMEOUT_MS", "1000")) / 1000
PER_REQUEST = os.environ.get("BENCH_CHANNEL", "per-request") == "per-request"

app = Flask(__name__)

# The per-process channel and the pid that opened it: a channel must never
# cross a fork (gunicorn forks its workers from the master).
_channel = None
_channel_pid = None


def decode_value(message):
    """Field 1 (a string) of a GetBarResponse; b"" when it is absent."""
    value = b""
    pos = 0
    while pos < len(message):
        key, pos = _varint(message, pos)
        field, wire = key >> 3, key & 7
        if wire == 2:
            size, pos = _varint(message, pos)
            if field == 1:
                value = message[pos:pos + size]
            pos += size
        elif wire == 0:
            _, pos = _varint(message, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError("malformed GetBarResponse")
    if pos != len(message):
        raise ValueError("truncated GetBarResponse")
    return value.decode("utf-8")


def _varint(data, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("malformed varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def open_channel():
    """This process's channel (per-process mode), opened on first use."""
    global _channel, _channel_pid
    if _channel is None or _channel_pid != os.getpid():
        _channel = grpc.insecure_channel(BAR_ADDR)
        _channel_pid = os.getpid()
    return _channel


def call_bar(channel):
    # No serializers: the stub sends and returns raw bytes.
    return channel.unary_unary(METHOD)(b"", timeout=TIMEOUT_S)


@app.route("/foo")
def foo():
    try:
        if PER_REQUEST:
            with grpc.insecure_channel(BAR_ADDR) as channel:
                answer = call_bar(channel)
        else:
            answer = call_bar(open_channel())
        value = decode_value(answer)
    except grpc.RpcError as err:
        code = err.code()
        status = 503 if code == grpc.StatusCode.UNAVAILABLE else (
            504 if code == grpc.StatusCode.DEADLINE_EXCEEDED else 502)
        return Response('{"error":"bar failed: %s"}\n' % code.name, status,
                        mimetype="application/json")
    return Response("foo" + value, 200, mimetype="text/plain")


def main():
    host, _, port = sys.argv[1].rpartition(":")
    # Flask's defaults otherwise: threaded, request lines on stderr.
    app.run(host=host, port=int(port))


if __name__ == "__main__":
    main()
