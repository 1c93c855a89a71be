"""The media download floor: one file served with ``socket.sendfile`` (the kernel copies the bytes,
as nginx would), honouring a single ``Range``. ``python -m bench.sendfile_server PORT FILE``.

``python -m http.server`` would not do: it copies through Python buffers, so it is no floor.
"""

import os
import re
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return (first, last) of a single range, or None for the whole file."""
    match = _RANGE.fullmatch((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        return max(size - int(last), 0), size - 1
    return int(first), min(int(last), size - 1) if last else size - 1


class Handler(BaseHTTPRequestHandler):
    path_to_serve = ""

    def do_GET(self):
        size = os.path.getsize(self.path_to_serve)
        wanted = byte_range(self.headers.get("Range"), size)
        first, last = wanted or (0, size - 1)
        self.send_response(206 if wanted else 200)
        if wanted:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(last - first + 1))
        self.end_headers()
        with open(self.path_to_serve, "rb") as file:
            self.connection.sendfile(file, first, last - first + 1)

    def log_message(self, format, *args):
        pass  # one line per request would cost more than the request


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    Handler.path_to_serve = path
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
