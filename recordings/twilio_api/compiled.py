"""Keyset pages of a list whose SQL is compiled once per filter shape, not once per request.

Building a list's queryset and compiling it cost about a sixth of an API list request's CPU, yet
two requests that give the same filters (values aside), the same page size and a cursor in the
same direction run the same SQL with other parameters. So the first request of each such *shape*
builds the query from sentinel values instead of its own, compiles it, and records in which
parameters the sentinels landed; every request of that shape, that one too, fills its own values
in and runs the SQL directly.

The query is compiled from two sets of sentinels, and the shape is cached only if both give the
same SQL and differ only in parameters that are whole sentinels (once or more: a cursor's date
bounds the page twice). A value the ORM escapes, adapts in an unforeseen way or copies into the
SQL takes the ordinary path every time. The account is one of the values, so it is always a
parameter of the cached SQL, never part of it.

The selector must decide its SQL from the shape alone: which values are given, how many a tuple
holds, a text's first two letters (a SID's type), flags and other plain values as they are; every
non-empty text, date-time and model instance is a parameter, whatever it holds. (Two sentinel sets
catch a selector that branches on a value only where the two differ in that respect.)
"""

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.utils import create_namedtuple_class

from recordings.twilio_api.keyset import Cursor, Page, page_of, page_query

# Shapes are few (a handful of filters, two directions, one or two page sizes in use), but a
# client chooses them: the oldest compiled one goes past this many.
MAX_SHAPES = 256

# Where the second set of sentinels starts: far from the first, so no two sentinels are equal.
_SECOND_SET = 100_000


# What ``SQLCompiler.get_converters`` gives: by column, its converters and its expression.
_Converters = list[tuple[int, tuple[list[Callable], Any]]]


@dataclasses.dataclass(frozen=True)
class _Compiled:
    """One shape's SQL and what turns its result rows into the rows the queryset would give."""

    sql: str
    params: tuple[Any, ...]
    # The indexes in ``params`` of each of the request's values, in the order ``_walk`` visits them.
    slots: tuple[tuple[int, ...], ...]
    converters: _Converters
    row: type


_cache: OrderedDict[Hashable, _Compiled | None] = OrderedDict()
_lock = threading.Lock()


def compiled_page(
    build: Callable[..., QuerySet],
    *,
    model: type[Model],
    columns: tuple[str, ...],
    page_size: int,
    cursor: Cursor | None,
    **values: Any,
) -> Page:
    """Return what ``keyset_page(build(**values).values_list(*columns, named=True), ...)`` does,
    through the SQL compiled for this request's shape."""
    alias = router.db_for_read(model)
    leaves: list[Any] = []
    shape, _ = _walk((values, cursor), leaves.append)
    key = (build, model, columns, alias, connections[alias].vendor, page_size, shape)
    with _lock:
        compiled = _cache.get(key, ...)
        if compiled is not ...:
            _cache.move_to_end(key)
    if compiled is ...:
        compiled = _compile(build, columns, alias, page_size, cursor, values)
        with _lock:
            _cache[key] = compiled
            while len(_cache) > MAX_SHAPES:
                _cache.popitem(last=False)
    if compiled is None:
        qs = build(**values).values_list(*columns, named=True)
        return page_of(list(page_query(qs, page_size=page_size, cursor=cursor)), page_size, cursor)
    return page_of(_run(compiled, alias, leaves), page_size, cursor)


def _walk(value: Any, leaf: Callable[[Any], Any]) -> tuple[Hashable, Any]:
    """Return the shape of ``value`` and ``value`` with each parameter ``p`` in it (depth first)
    replaced by ``leaf(p)``."""
    if isinstance(value, dict):
        pairs = {name: _walk(v, leaf) for name, v in value.items()}
        return (
            tuple((name, shape) for name, (shape, _) in pairs.items()),
            {name: v for name, (_, v) in pairs.items()},
        )
    if isinstance(value, tuple):
        walked = [_walk(v, leaf) for v in value]
        return ("tuple", *(shape for shape, _ in walked)), tuple(v for _, v in walked)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        walked_fields = {
            f.name: _walk(getattr(value, f.name), leaf) for f in dataclasses.fields(value)
        }
        return (
            (type(value), *((name, shape) for name, (shape, _) in walked_fields.items())),
            type(value)(**{name: v for name, (_, v) in walked_fields.items()}),
        )
    if isinstance(value, str) and value:
        return ("str", value[:2]), leaf(value)
    if isinstance(value, datetime):
        return ("datetime", value.tzinfo), leaf(value)
    if isinstance(value, Model) and isinstance(value.pk, str):
        return ("model", type(value), value.pk[:2]), leaf(value)
    return value, value


def _sentinel(value: Any, index: int) -> Any:
    """Return a value of the same shape as ``value`` that no other value equals."""
    if isinstance(value, str):
        return f"{value[:2]}\x1fshape-parameter-{index}\x1f"
    if isinstance(value, datetime):
        return datetime(1901, 2, 3, tzinfo=value.tzinfo) + timedelta(seconds=index)
    return type(value)(pk=_sentinel(value.pk, index))


def _parameter(value: Any, connection: BaseDatabaseWrapper) -> Any:
    """Return the query parameter that the ORM makes of ``value``."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, Model):
        return value.pk
    return value


def _compile(
    build: Callable[..., QuerySet],
    columns: tuple[str, ...],
    alias: str,
    page_size: int,
    cursor: Cursor | None,
    values: dict[str, Any],
) -> _Compiled | None:
    """Compile the page query of this shape, or return None where it cannot be cached."""
    first, second = (
        _compiled_with_sentinels(build, columns, alias, page_size, cursor, values, start)
        for start in (0, _SECOND_SET)
    )
    if first is None or second is None:
        return None
    (compiler, sql, params, slots), (_, other_sql, other_params, other_slots) = first, second
    filled = {i for found in slots for i in found}
    # Two sets of sentinels must give the same SQL and the same parameters but where each one
    # stands whole: else a value also went into the SQL, or into another parameter (escaped,
    # shifted, copied), or steered which SQL was built.
    if (sql, slots, len(params)) != (other_sql, other_slots, len(other_params)) or any(
        type(p) is not type(q) or p != q
        for i, (p, q) in enumerate(zip(params, other_params, strict=True))
        if i not in filled
    ):
        return None
    fields = [s[0] for s in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        return None
    return _Compiled(
        sql=sql,
        params=tuple(params),
        slots=slots,
        converters=list(compiler.get_converters(fields).items()),
        row=create_namedtuple_class(*columns),
    )


def _compiled_with_sentinels(
    build: Callable[..., QuerySet],
    columns: tuple[str, ...],
    alias: str,
    page_size: int,
    cursor: Cursor | None,
    values: dict[str, Any],
    start: int,
) -> tuple[SQLCompiler, str, tuple[Any, ...], tuple[tuple[int, ...], ...]] | None:
    """Compile the page query from sentinels numbered from ``start``; return the compiler, the
    SQL, its parameters and the indexes at which each sentinel is a parameter, or None if one is
    not a parameter at all."""
    connection = connections[alias]
    sentinels: list[Any] = []

    def sentinel(value: Any) -> Any:
        sentinels.append(_sentinel(value, start + len(sentinels)))
        return sentinels[-1]

    _, (fake_values, fake_cursor) = _walk((values, cursor), sentinel)
    qs = build(**fake_values).values_list(*columns, named=True)
    qs = page_query(qs, page_size=page_size, cursor=fake_cursor)
    if qs.db != alias:
        return None
    compiler = qs.query.get_compiler(using=alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a shape that selects nothing (none()): no SQL to reuse
        return None
    slots = []
    for expected in (_parameter(s, connection) for s in sentinels):
        found = [i for i, p in enumerate(params) if type(p) is type(expected) and p == expected]
        if not found:
            return None
        slots.append(tuple(found))
    return compiler, sql, tuple(params), tuple(slots)


def _run(compiled: _Compiled, alias: str, leaves: list[Any]) -> list:
    """Run a shape's SQL with this request's values; return its rows as the queryset's
    ``NamedValuesListIterable`` would (through ``SQLCompiler.apply_converters``'s steps)."""
    connection = connections[alias]
    params = list(compiled.params)
    for found, value in zip(compiled.slots, leaves, strict=True):
        parameter = _parameter(value, connection)
        for slot in found:
            params[slot] = parameter
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows: Iterable[Any] = cursor.fetchall()
    if compiled.converters:
        rows = _converted(rows, compiled.converters, connection)
    new = tuple.__new__
    return [new(compiled.row, row) for row in rows]


def _converted(
    rows: Iterable[Any], converters: _Converters, connection: BaseDatabaseWrapper
) -> Iterable[list]:
    for row in map(list, rows):
        for position, (functions, expression) in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        yield row
