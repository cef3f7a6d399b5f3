"""moto's server for the benchmarks: ``python -m moto.server``, with ``TCP_NODELAY`` on every connection.

    python -m benchmarks.moto_server HOST PORT

moto's own server (werkzeug) leaves Nagle's algorithm on, and writes a response's headers and its body
in separate sends: the body then waits for the client's delayed ACK, up to 40 ms a call, which AWS's
endpoints do not make anyone wait. Otherwise this is ``moto.server.main``: the same application, the
same request handler, threaded, HTTP/1.1 keep-alive.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class NoDelayRequestHandler(MotoRequestHandler):
    disable_nagle_algorithm = True  # socketserver.StreamRequestHandler sets TCP_NODELAY when True


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(host: str, port: int) -> None:
    signal.signal(signal.SIGTERM, _exit)
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto.server.main does: moto builds URLs with it
    application = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, application, threaded=True, request_handler=NoDelayRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
