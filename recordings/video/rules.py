"""Validate Twilio Video Recording Rules and compute the tracks they select."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

RULES_LIMIT = 20

RULE_TYPES = ("include", "exclude")
FILTERS = ("all", "kind", "publisher", "track")
KINDS = ("audio", "video")

RECORD_ALL: list[dict[str, object]] = [{"type": "include", "all": True}]

_FILTER_LIST = '"all", "kind", "publisher" or "track"'


class InvalidRules(ValueError):
    """Raised for a rule list Twilio answers with error 53120."""

    def __init__(self, reason: str, index: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.index = index


@dataclass(frozen=True)
class TrackInfo:
    """Describe a published track as far as recording rules can see it."""

    sid: str
    name: str
    kind: str
    publisher_sid: str
    publisher_identity: str


class _RepeatedKeys(dict):
    """Hold a decoded JSON object that repeated some of its keys."""

    def __init__(self, pairs: list[tuple[str, object]], repeated: list[str]) -> None:
        super().__init__(pairs)
        self.repeated = repeated


def _object_from_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Build a dict from JSON pairs, marking it when a key occurs twice."""
    seen: set[str] = set()
    repeated: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return _RepeatedKeys(pairs, repeated) if repeated else dict(pairs)


def _reject_constant(name: str) -> object:
    """Refuse NaN and Infinity, which Python accepts but JSON does not."""
    raise ValueError(f"{name} is not valid JSON")


def _show(value: object) -> str:
    """Render a value the way it would appear in the JSON document."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _storable(text: str) -> bool:
    """Tell whether text is valid Unicode without NUL characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _json_type(value: object) -> str:
    """Name the JSON type of a decoded value, with its article."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_rules(document: str, *, wrapped: bool = False) -> list[dict[str, object]]:
    """Parse and validate a JSON-encoded rule list; each rule comes back in canonical key order.

    With ``wrapped``, the list may also come as ``{"rules": [...]}``, the shape of the Rooms API's
    RecordingRules parameter (the same as the RecordingRules resource).
    """
    try:
        decoded = json.loads(
            document, object_pairs_hook=_object_from_pairs, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise InvalidRules(
            f"Rules are not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from exc
    except (ValueError, TypeError) as exc:
        raise InvalidRules(f"Rules are not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise InvalidRules("Rules are not valid JSON: nested too deeply.") from exc
    if wrapped and isinstance(decoded, dict) and list(decoded) == ["rules"]:
        decoded = decoded["rules"]
    return validate_rules(decoded)


def validate_rules(rules: object) -> list[dict[str, object]]:
    """Validate an already-decoded rule list (no duplicate-key detection possible here)."""
    if not isinstance(rules, list):
        raise InvalidRules(f"Rules must be a JSON array, not {_json_type(rules)}.")
    if not rules:
        raise InvalidRules(
            'Rules must not be empty; send [{"type": "exclude", "all": true}] to stop recording.'
        )
    if len(rules) > RULES_LIMIT:
        raise InvalidRules(f"Rules may hold at most {RULES_LIMIT} rules, not {len(rules)}.")
    for index, rule in enumerate(rules):
        _validate_rule(rule, index)
    return canonical(rules)


def canonical(rules: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Return copies of rules with their keys in Twilio's order: ``type``, then the filters.

    One order everywhere: PostgreSQL's jsonb would otherwise hand back ``{"all": …, "type": …}``.
    """
    return [{key: rule[key] for key in ("type", *FILTERS) if key in rule} for rule in rules]


def _validate_rule(rule: object, index: int) -> None:
    """Raise InvalidRules naming the first thing wrong with one rule."""
    label = f"Rule {index + 1}"

    def fail(reason: str) -> InvalidRules:
        return InvalidRules(f"{label}{reason}", index)

    if not isinstance(rule, dict):
        raise fail(f" must be a JSON object, not {_json_type(rule)}.")
    if not all(_storable(text) for pair in rule.items() for text in pair if isinstance(text, str)):
        # JSON escapes can spell a lone surrogate or a NUL; neither can be stored or shown.
        raise fail(" holds text that is not valid Unicode, or a NUL character.")
    if isinstance(rule, _RepeatedKeys):
        names = ", ".join(_show(key) for key in rule.repeated)
        raise fail(f": {names} is given more than once; a filter cannot be repeated in a rule.")
    if "type" not in rule:
        raise fail(' has no "type"; it must be "include" or "exclude".')
    if rule["type"] not in RULE_TYPES:
        raise fail(f': "type" must be "include" or "exclude", not {_show(rule["type"])}.')
    filters = [key for key in rule if key != "type"]
    for key in filters:
        if key not in FILTERS:
            raise fail(f": {_show(key)} is not a filter; use {_FILTER_LIST}.")
    if not filters:
        raise fail(f" has no filter; add at least one of {_FILTER_LIST}.")
    if "all" in rule:
        others = ", ".join(_show(key) for key in filters if key != "all")
        if others:
            raise fail(f': "all" cannot be combined with other filters ({others}).')
        # "is True" because 1 == True in Python, and JSON 1 is not JSON true.
        if rule["all"] is not True:
            raise fail(f': "all" must be true, not {_show(rule["all"])}.')
    if "kind" in rule and rule["kind"] not in KINDS:
        raise fail(f': "kind" must be "audio" or "video", not {_show(rule["kind"])}.')
    for key in ("publisher", "track"):
        if key in rule and not (isinstance(rule[key], str) and rule[key]):
            raise fail(f": {_show(key)} must be a non-empty string, not {_show(rule[key])}.")


_MATCHERS: dict[str, Callable[[object, TrackInfo], bool]] = {
    "all": lambda value, track: value is True,
    "kind": lambda value, track: track.kind == value,
    "publisher": lambda value, track: value in (track.publisher_identity, track.publisher_sid),
    "track": lambda value, track: value in (track.name, track.sid),
}


def rule_matches(rule: Mapping[str, object], track: TrackInfo) -> bool:
    """Tell whether the track passes every filter of a validated rule."""
    for name, value in rule.items():
        if name == "type":
            continue
        matcher = _MATCHERS.get(name)
        if matcher is None:
            raise ValueError(f"Unknown recording-rule filter {name!r}; validate the rules first.")
        if not matcher(value, track):
            return False
    return True


def tracks_to_record(
    rules: Sequence[Mapping[str, object]], tracks: Iterable[TrackInfo]
) -> set[str]:
    """Return the SIDs of the tracks the rules say to record (the seed's SetRT)."""
    # Materialised because every rule walks the tracks again and a generator would run dry.
    tracks = tuple(tracks)
    recorded: set[str] = set()
    for rule in rules:
        matching = {track.sid for track in tracks if rule_matches(rule, track)}
        if rule.get("type") == "include":
            recorded |= matching
        elif rule.get("type") == "exclude":
            recorded -= matching
        else:
            raise ValueError(f"Unknown recording-rule type {rule.get('type')!r}.")
    return recorded
