"""gunicorn settings of the "good" Python design (bench/python/app.py).

bench/targets.py passes the address and the worker count (one per core) on
the command line; this file only opens each worker's gRPC channel right
after the fork, so the first request does not pay for it and no channel is
ever created in the master.
"""


def post_fork(server, worker):
    import app

    app.open_channel()
