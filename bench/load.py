"""A background client for "latency while something else runs": ``python -m bench.load HOST PORT
PATH AUTHORIZATION OUT`` sends one request after another until SIGTERM, then writes its latencies
(seconds) and the count of non-200 answers to the JSON file OUT. ``OUT.ready`` appears once it
handles SIGTERM and has made its first request.

A process of its own, so that the work it runs beside (a Celery job, or the raw SQL the job is
compared with) gets the same background load either way, and the harness's own waiting and
polling never delay a request.
"""

import json
import signal
import sys
from pathlib import Path

from bench.client import Server, timed_fetch


def main() -> None:
    host, port, path, authorization, out = sys.argv[1:6]
    server, headers = Server(host, int(port)), {"Authorization": authorization}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    samples, failures = [], 0
    ready = Path(out + ".ready")
    while not stopping:
        elapsed, status, _body = timed_fetch(server, path, headers)
        samples.append(elapsed)
        failures += status != 200
        if not ready.exists():
            ready.touch()  # the harness waits for this before it may stop us
    with open(out, "w") as f:
        json.dump({"samples": samples, "failures": failures}, f)


if __name__ == "__main__":
    main()
