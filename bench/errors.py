"""The one failure the harness reports as a correctness failure (and exits non-zero for)."""


class BenchError(Exception):
    """A response, a row count or a byte range was not what the app must answer."""
