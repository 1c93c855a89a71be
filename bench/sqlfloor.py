"""The SQL floor of a request: the exact statements the view runs, timed straight through psycopg.

The statements are captured by running the same request once in this process (Django's test
client under ``CaptureQueriesContext``, bench settings, same database): the authentication lookup
and the data query, as the server sends them. The floor runs them all, in order, on one
connection with ``fetchall()``: what the database and the driver alone cost per request.
"""

import time

import psycopg
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.client import Stats
from bench.data import database_url, libpq_url
from bench.errors import BenchError

# Statements the app's connection makes for itself, not per request.
_SESSION_SETUP = ("SET ", "SHOW ", "SELECT VERSION()")


def captured_queries(path: str, headers: dict[str, str]) -> list[str]:
    """Return the SQL the app runs for GET ``path``, in order (after a warm-up request)."""
    client = Client()
    extra = {"HTTP_HOST": "127.0.0.1"}
    extra.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    warm = client.get(path, **extra)  # connection set-up and first-use work happen here
    if warm.status_code != 200:
        raise BenchError(f"in-process GET {path} answered {warm.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(path, **extra)
    queries = [q["sql"] for q in ctx.captured_queries]
    queries = [q for q in queries if not q.upper().startswith(_SESSION_SETUP)]
    if not queries:
        raise BenchError(f"GET {path} ran no SQL")
    return queries


def floor_connection() -> psycopg.Connection:
    """Open a connection that talks to the server as Django's does: client-side binding, no
    prepared statements, autocommit, UTC."""
    return psycopg.connect(
        libpq_url(database_url()),
        autocommit=True,
        prepare_threshold=None,
        cursor_factory=psycopg.ClientCursor,
        options="-c timezone=UTC",
    )


def time_queries(queries: list[str], *, n: int, warmup: int) -> Stats:
    """Run every statement ``warmup + n`` times in sequence; return the timed repetitions."""
    samples = []
    with floor_connection() as conn, conn.cursor() as cursor:
        for i in range(warmup + n):
            start = time.perf_counter()
            for sql in queries:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                samples.append(elapsed)
    return Stats(samples)


def sql_floor(path: str, headers: dict[str, str], *, n: int, warmup: int) -> tuple[Stats, list]:
    """Capture the SQL of GET ``path`` and time it; return the timing and the statements."""
    queries = captured_queries(path, headers)
    return time_queries(queries, n=n, warmup=warmup), queries
