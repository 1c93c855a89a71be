"""Which tracks a composition takes: Twilio's track-name patterns, as pure functions.

A pattern names tracks the way Twilio's ``AudioSources``, ``video_sources`` and their
``…_excluded`` lists do: ``*`` matches zero or more characters and every other character is
literal (``student*`` matches ``student`` and ``studentTeam``; there is no ``?`` or escaping).
Matching is case-sensitive, as track names are. A pattern may also be a SID that names the track
(its track's ``MT…`` or its recording's ``RT…``, Twilio's own example uses both): a SID matches
exactly, never as a wildcard.

No Django, no PyAV: the API's audio selection and the layout's regions share these rules.
"""

import functools
import re
from collections.abc import Callable, Collection, Iterable
from typing import TypeVar

T = TypeVar("T")

# What names a track for matching: its name, and the SIDs that also name it.
Identity = tuple[str, Collection[str]]


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    # Only `*` is special: escape every piece between them so `.`, `?`, `[` stay literal.
    return re.compile(".*".join(re.escape(piece) for piece in pattern.split("*")), re.DOTALL)


def matches(pattern: str, *, name: str, sids: Collection[str] = ()) -> bool:
    """Return whether ``pattern`` names the track called ``name`` (or with one of ``sids``)."""
    return pattern in sids or _compiled(pattern).fullmatch(name) is not None


def matches_any(patterns: Iterable[str], *, name: str, sids: Collection[str] = ()) -> bool:
    """Return whether any of ``patterns`` names the track."""
    return any(matches(pattern, name=name, sids=sids) for pattern in patterns)


def select(
    tracks: Iterable[T],
    include: Iterable[str],
    exclude: Iterable[str] = (),
    *,
    identity: Callable[[T], Identity],
) -> list[T]:
    """Return the tracks some ``include`` pattern names and no ``exclude`` pattern does.

    The tracks keep their given order, so the caller's order (e.g. by start) is the result's.
    """
    include, exclude = tuple(include), tuple(exclude)
    chosen = []
    for track in tracks:
        name, sids = identity(track)
        if matches_any(include, name=name, sids=sids) and not matches_any(
            exclude, name=name, sids=sids
        ):
            chosen.append(track)
    return chosen
