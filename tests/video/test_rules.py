import json
import random

import pytest

from recordings.video import rules
from recordings.video.rules import (
    RECORD_ALL,
    RULES_LIMIT,
    InvalidRules,
    TrackInfo,
    parse_rules,
    rule_matches,
    tracks_to_record,
    validate_rules,
)

# The participants and tracks of the seed's Alice/Bob/Carl table, with realistic SIDs.
ALICE_SID = "PA7fc15c8effb44e179418ba1d23eb751b"
BOB_SID = "PAf1c5cf8aa9d94b92ba4b3e5f268ca358"
CARL_SID = "PA2d54f8f1da2745538030079a49785c43"

MTA_A = "MT88dc06a8537944bba8ad158704f27bbf"
MTA_C = "MT7a4e00ea5d7d4ecfb2de5bc00c935ff7"
MTA_S = "MTfd4576b8331546ceb419c0788c02d51d"
MTB_A = "MT7222d369d96f44979c8ee44144652309"
MTB_C = "MTbbfaa5d5342c41c385126141bb648347"
MTB_S = "MTca06ef36b9b84f6bad3ec7ca37ed65be"
MTC_A = "MTd82f4351fbb04bdc89769d956368f04a"
MTC_C = "MT6a0a2527a431477cb56ba001544bda0b"
MTC_D = "MTa2b2bbbeaac24c4ebd80d876e3dfb8f8"

ROOM = (
    TrackInfo(MTA_A, "alice-audio", "audio", ALICE_SID, "Alice"),
    TrackInfo(MTA_C, "alice-cam", "video", ALICE_SID, "Alice"),
    TrackInfo(MTA_S, "screen", "video", ALICE_SID, "Alice"),
    TrackInfo(MTB_A, "bob-audio", "audio", BOB_SID, "Bob"),
    TrackInfo(MTB_C, "bob-cam", "video", BOB_SID, "Bob"),
    TrackInfo(MTB_S, "screen", "video", BOB_SID, "Bob"),
    TrackInfo(MTC_A, "carl-audio", "audio", CARL_SID, "Carl"),
    TrackInfo(MTC_C, "carl-cam", "video", CARL_SID, "Carl"),
)
ALL_SIDS = {track.sid for track in ROOM}
AUDIO_SIDS = {MTA_A, MTB_A, MTC_A}
VIDEO_SIDS = ALL_SIDS - AUDIO_SIDS
ALICE_SIDS = {MTA_A, MTA_C, MTA_S}

CHAT = TrackInfo(MTC_D, "chat", "data", CARL_SID, "Carl")
ROOM_WITH_DATA = (*ROOM, CHAT)


def record(document: str, tracks=ROOM) -> set[str]:
    return tracks_to_record(parse_rules(document), tracks)


# --- validation -------------------------------------------------------------------------------


def test_sids_look_like_twilio_sids():
    for sid in (ALICE_SID, BOB_SID, CARL_SID, *ALL_SIDS, MTC_D):
        assert len(sid) == 34
        int(sid[2:], 16)


@pytest.mark.parametrize(
    "document",
    [
        '[{"type": "include", "all": true}]',
        '[{"type": "exclude", "all": true}]',
        '[{"type": "include", "kind": "audio"}]',
        '[{"type": "include", "kind": "video"}]',
        '[{"type": "include", "publisher": "Alice"}, {"type": "include", "kind": "audio"}]',
        '[{"type": "include", "publisher": "Bob", "track": "screen"}]',
        '[{"type": "include", "kind": "video", "publisher": "Alice", "track": "screen"}]',
        f'[{{"type": "include", "track": "{MTA_C}"}}]',
        f'[{{"type": "exclude", "publisher": "{BOB_SID}"}}]',
        # The seed lists this one as "Invalid because it specifies a non supported kind", but
        # "video" is one of the two kinds the seed itself allows, so it is valid; the seed's
        # example is wrong (probably meant another kind), and unsupported kinds are tested below.
        '[{"type": "include", "all": true}, {"type": "exclude", "kind": "video"}]',
    ],
)
def test_valid_rule_lists_are_accepted(document):
    assert parse_rules(document) == json.loads(document)


def test_parse_puts_each_rules_keys_in_twilios_order():
    parsed = parse_rules('[{"track": "screen", "type": "include", "publisher": "Bob"}]')
    assert [list(rule) for rule in parsed] == [["type", "publisher", "track"]]


def test_parse_returns_plain_dicts():
    parsed = parse_rules('[{"type": "include", "all": true}]')
    assert type(parsed) is list
    assert type(parsed[0]) is dict


def test_validate_returns_copies_not_the_callers_dicts():
    given = [{"type": "include", "kind": "audio"}]
    validated = validate_rules(given)
    validated[0]["kind"] = "video"
    assert given == [{"type": "include", "kind": "audio"}]


def test_record_all_is_a_valid_rule_list_that_records_everything():
    assert validate_rules(RECORD_ALL) == [{"type": "include", "all": True}]
    assert tracks_to_record(RECORD_ALL, ROOM) == ALL_SIDS


def test_rules_limit_is_twenty():
    assert RULES_LIMIT == 20


def test_twenty_rules_are_accepted():
    document = json.dumps([{"type": "include", "kind": "audio"}] * 20)
    assert len(parse_rules(document)) == 20


@pytest.mark.parametrize("count", [21, 50])
def test_more_than_twenty_rules_are_refused(count):
    document = json.dumps([{"type": "include", "kind": "audio"}] * count)
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    assert caught.value.index is None
    assert "20" in caught.value.reason
    assert str(count) in caught.value.reason


@pytest.mark.parametrize(
    "document",
    [
        "",
        "   ",
        "not json",
        "[",
        '[{"type": "include", "all": true}',
        '[{"type": "include", "all": true},]',
        "[{'type': 'include', 'all': true}]",
        '[{"type": "include", "all": True}]',
        '[{"type": "include", "all": true}] trailing',
        '[{"type": "include", "kind": NaN}]',
        "[Infinity]",
        "[" * 100_000,
    ],
)
def test_text_that_is_not_json_is_refused(document):
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    assert caught.value.index is None
    assert "not valid JSON" in caught.value.reason


@pytest.mark.parametrize(
    ("document", "named_type"),
    [
        ('{"type": "include", "all": true}', "an object"),
        ("null", "null"),
        ("20", "a number"),
        ("1.5", "a number"),
        ("true", "a boolean"),
        ('"[]"', "a string"),
    ],
)
def test_a_document_that_is_not_an_array_is_refused(document, named_type):
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    assert caught.value.index is None
    assert caught.value.reason == f"Rules must be a JSON array, not {named_type}."


def test_an_empty_rule_list_is_refused():
    with pytest.raises(InvalidRules) as caught:
        parse_rules("[]")
    assert caught.value.index is None
    assert "empty" in caught.value.reason


@pytest.mark.parametrize(
    ("document", "index", "reason_contains"),
    [
        # Seed: invalid because it uses false as value of "all".
        ('[{"type": "include", "all": false}]', 0, '"all" must be true, not false'),
        # Seed: invalid because it repeats the "kind" filter twice.
        ('[{"type": "include", "kind": "audio", "kind": "video"}]', 0, '"kind" is given more'),
        # Seed: invalid because an "all" filter is not compatible with any other filter.
        ('[{"type": "include", "all": "true", "kind": "audio"}]', 0, "cannot be combined"),
        # "all" must be the JSON boolean true, not a string or a number equal to it in Python.
        ('[{"type": "include", "all": "true"}]', 0, '"all" must be true, not "true"'),
        ('[{"type": "include", "all": 1}]', 0, '"all" must be true, not 1'),
        ('[{"type": "include", "all": null}]', 0, '"all" must be true, not null'),
        ('[{"type": "include", "all": true, "publisher": "Bob"}]', 0, '("publisher")'),
        ('[{"type": "exclude", "all": true, "track": "screen"}]', 0, '("track")'),
        ('[{"type": "include", "kind": "audio", "all": true}]', 0, '("kind")'),
        # Every rule needs a type, and it must be one of the two known ones.
        ('[{"all": true}]', 0, 'has no "type"'),
        ('[{"kind": "audio"}]', 0, 'has no "type"'),
        ('[{"type": "include", "all": true}, {"kind": "audio"}]', 1, 'Rule 2 has no "type"'),
        ('[{"type": "Include", "all": true}]', 0, 'not "Include"'),
        ('[{"type": "record", "all": true}]', 0, 'not "record"'),
        ('[{"type": "", "all": true}]', 0, 'not ""'),
        ('[{"type": null, "all": true}]', 0, "not null"),
        ('[{"type": ["include"], "all": true}]', 0, 'not ["include"]'),
        # Kinds other than audio and video; a data track cannot be selected by kind.
        ('[{"type": "include", "kind": "data"}]', 0, '"kind" must be "audio" or "video"'),
        ('[{"type": "include", "kind": "screen"}]', 0, 'not "screen"'),
        ('[{"type": "include", "kind": "Audio"}]', 0, 'not "Audio"'),
        ('[{"type": "include", "kind": ""}]', 0, 'not ""'),
        ('[{"type": "include", "kind": ["audio", "video"]}]', 0, '"kind" must be'),
        # Filters are repeated when any key repeats, including "type".
        ('[{"type": "include", "publisher": "Bob", "publisher": "Carl"}]', 0, '"publisher"'),
        ('[{"type": "include", "track": "screen", "track": "screen"}]', 0, '"track" is given'),
        ('[{"type": "include", "type": "exclude", "kind": "audio"}]', 0, '"type" is given'),
        ('[{"type": "include", "all": true, "all": true}]', 0, '"all" is given'),
        # Filter names are exactly the four the seed lists.
        ('[{"type": "include", "participant": "Bob"}]', 0, '"participant" is not a filter'),
        ('[{"type": "include", "Kind": "audio"}]', 0, '"Kind" is not a filter'),
        ('[{"type": "include", "kind": "audio", "room": "RM1"}]', 0, '"room" is not a filter'),
        ('[{"type": "include", "all": true, "none": true}]', 0, '"none" is not a filter'),
        # A rule needs at least one filter.
        ('[{"type": "include"}]', 0, "has no filter"),
        ('[{"type": "exclude"}]', 0, "has no filter"),
        # Publisher and track values must be non-empty strings.
        ('[{"type": "include", "publisher": ""}]', 0, '"publisher" must be a non-empty string'),
        ('[{"type": "include", "publisher": 7}]', 0, '"publisher" must be a non-empty string'),
        ('[{"type": "include", "publisher": null}]', 0, "not null"),
        ('[{"type": "include", "publisher": ["Bob"]}]', 0, 'not ["Bob"]'),
        ('[{"type": "include", "track": ""}]', 0, '"track" must be a non-empty string'),
        ('[{"type": "include", "track": true}]', 0, "not true"),
        ('[{"type": "include", "track": {"sid": "MT1"}}]', 0, '"track" must be'),
        # Each rule must be an object.
        ('["include"]', 0, "Rule 1 must be a JSON object, not a string"),
        ("[null]", 0, "not null"),
        ("[1]", 0, "not a number"),
        ("[[]]", 0, "not an array"),
        ('[[{"type": "include", "all": true}]]', 0, "not an array"),
        ('[{"type": "include", "all": true}, true]', 1, "Rule 2 must be a JSON object"),
    ],
)
def test_invalid_rules_are_refused_with_the_offending_index(document, index, reason_contains):
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    assert caught.value.index == index
    assert caught.value.reason.startswith(f"Rule {index + 1}")
    assert reason_contains in caught.value.reason


def test_the_reason_says_which_rule_is_wrong_and_why():
    document = '[{"type": "include", "all": true}, {"type": "exclude", "kind": "data"}]'
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    assert caught.value.reason == 'Rule 2: "kind" must be "audio" or "video", not "data".'
    assert caught.value.index == 1
    assert str(caught.value) == caught.value.reason


def test_the_first_wrong_rule_is_reported():
    document = json.dumps(
        [
            {"type": "include", "kind": "audio"},
            {"type": "include", "kind": "audio"},
            {"type": "include", "all": False},
            {"type": "include", "kind": "data"},
        ]
    )
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    assert caught.value.index == 2


def test_a_repeated_key_in_a_later_rule_reports_that_rule():
    document = (
        '[{"type": "include", "kind": "audio"},'
        ' {"type": "include", "kind": "audio"},'
        ' {"type": "exclude", "publisher": "Bob", "publisher": "Bob"}]'
    )
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    assert caught.value.index == 2
    assert caught.value.reason.startswith('Rule 3: "publisher" is given more than once')


def test_a_repeated_key_outside_the_rules_is_still_refused():
    with pytest.raises(InvalidRules) as caught:
        parse_rules('{"rules": [], "rules": []}')
    assert caught.value.index is None


def test_invalid_rules_is_a_value_error_with_no_index_by_default():
    error = InvalidRules("Rules must not be empty.")
    assert isinstance(error, ValueError)
    assert error.reason == "Rules must not be empty."
    assert error.index is None


@pytest.mark.parametrize(
    ("decoded", "index"),
    [
        ({"type": "include", "all": True}, None),
        (({"type": "include", "all": True},), None),
        (None, None),
        ([], None),
        ([{"type": "include", "kind": "audio"}] * 21, None),
        ([{"type": "include", "all": 1}], 0),
        ([{"type": "include", "all": True}, {"type": "include", 1: "audio"}], 1),
    ],
)
def test_validate_rules_refuses_decoded_values_that_are_not_rule_lists(decoded, index):
    with pytest.raises(InvalidRules) as caught:
        validate_rules(decoded)
    assert caught.value.index == index


# --- the seed's Alice/Bob/Carl examples --------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # Record the audio and video tracks of all participants.
        ('[{"type": "include", "all": true}]', ALL_SIDS),
        # Stop the recording of all tracks.
        ('[{"type": "exclude", "all": true}]', set()),
        # Record just the audio tracks of all participants.
        ('[{"type": "include", "kind": "audio"}]', AUDIO_SIDS),
        # Record Alice's audio and video, and the audio of the others.
        (
            '[{"type": "include", "publisher": "Alice"}, {"type": "include", "kind": "audio"}]',
            ALICE_SIDS | AUDIO_SIDS,
        ),
        # The four-rule example at the top of the seed, with Carl's camera as the track SID:
        # everyone's audio, Bob's screen (not Alice's, filters AND), and Carl's camera.
        (
            "["
            '{"type": "include", "all": true},'
            '{"type": "exclude", "kind": "video"},'
            '{"type": "include", "publisher": "Bob", "track": "screen"},'
            f'{{"type": "include", "track": "{MTC_C}"}}'
            "]",
            AUDIO_SIDS | {MTB_S, MTC_C},
        ),
    ],
)
def test_seed_examples_record_the_expected_tracks(document, expected):
    assert record(document) == expected


def test_excluding_everything_after_including_everything_records_nothing():
    assert record('[{"type": "include", "all": true}, {"type": "exclude", "all": true}]') == set()


def test_rule_order_matters():
    include_then_exclude = (
        '[{"type": "include", "all": true}, {"type": "exclude", "publisher": "Alice"}]'
    )
    exclude_then_include = (
        '[{"type": "exclude", "publisher": "Alice"}, {"type": "include", "all": true}]'
    )
    assert record(include_then_exclude) == ALL_SIDS - ALICE_SIDS
    assert record(exclude_then_include) == ALL_SIDS


def test_an_exclude_rule_only_removes_what_earlier_rules_added():
    assert record('[{"type": "exclude", "kind": "video"}]') == set()
    document = '[{"type": "exclude", "kind": "video"}, {"type": "include", "kind": "audio"}]'
    assert record(document) == AUDIO_SIDS


@pytest.mark.parametrize(
    ("publisher", "expected"),
    [
        ("Alice", ALICE_SIDS),
        (ALICE_SID, ALICE_SIDS),
        ("Bob", {MTB_A, MTB_C, MTB_S}),
        (BOB_SID, {MTB_A, MTB_C, MTB_S}),
        ("Carl", {MTC_A, MTC_C}),
        (CARL_SID, {MTC_A, MTC_C}),
        # Identities and SIDs are case sensitive.
        ("alice", set()),
        ("ALICE", set()),
        (ALICE_SID.upper(), set()),
        ("PA" + ALICE_SID[2:].upper(), set()),
        # A publisher filter is not matched against track names or track SIDs.
        ("screen", set()),
        (MTA_A, set()),
        ("Dave", set()),
    ],
)
def test_publisher_matches_the_identity_or_the_participant_sid(publisher, expected):
    rule = {"type": "include", "publisher": publisher}
    assert tracks_to_record(validate_rules([rule]), ROOM) == expected


@pytest.mark.parametrize(
    ("track", "expected"),
    [
        ("alice-cam", {MTA_C}),
        (MTA_C, {MTA_C}),
        ("bob-audio", {MTB_A}),
        (MTB_A, {MTB_A}),
        # Alice and Bob both name their screen share "screen"; the name matches both.
        ("screen", {MTA_S, MTB_S}),
        (MTA_S, {MTA_S}),
        (MTB_S, {MTB_S}),
        # Names and SIDs are case sensitive.
        ("Screen", set()),
        ("ALICE-CAM", set()),
        (MTA_C.upper(), set()),
        # A track filter is not matched against participant identities or SIDs.
        ("Alice", set()),
        (ALICE_SID, set()),
        ("dave-cam", set()),
    ],
)
def test_track_matches_the_track_name_or_the_track_sid(track, expected):
    rule = {"type": "include", "track": track}
    assert tracks_to_record(validate_rules([rule]), ROOM) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"type": "include", "kind": "video", "publisher": "Alice"}, {MTA_C, MTA_S}),
        ({"type": "include", "kind": "audio", "publisher": "Bob"}, {MTB_A}),
        ({"type": "include", "publisher": "Bob", "track": "screen"}, {MTB_S}),
        ({"type": "include", "publisher": ALICE_SID, "track": "screen"}, {MTA_S}),
        ({"type": "include", "kind": "video", "track": "screen"}, {MTA_S, MTB_S}),
        ({"type": "include", "kind": "audio", "track": "screen"}, set()),
        ({"type": "include", "publisher": "Carl", "track": "screen"}, set()),
        ({"type": "include", "publisher": "Bob", "track": MTA_S}, set()),
        (
            {"type": "include", "kind": "video", "publisher": "Bob", "track": "bob-cam"},
            {MTB_C},
        ),
    ],
)
def test_filters_within_a_rule_combine_with_and(rule, expected):
    assert tracks_to_record(validate_rules([rule]), ROOM) == expected


def test_an_exclude_rule_with_several_filters_removes_only_tracks_matching_all_of_them():
    document = (
        '[{"type": "include", "all": true},'
        ' {"type": "exclude", "kind": "video", "track": "screen"}]'
    )
    assert record(document) == ALL_SIDS - {MTA_S, MTB_S}


# --- data tracks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('[{"type": "include", "all": true}]', ALL_SIDS | {MTC_D}),
        ('[{"type": "include", "kind": "audio"}]', AUDIO_SIDS),
        ('[{"type": "include", "kind": "video"}]', VIDEO_SIDS),
        (
            '[{"type": "include", "all": true}, {"type": "exclude", "kind": "video"}]',
            AUDIO_SIDS | {MTC_D},
        ),
        (
            "["
            '{"type": "include", "all": true},'
            '{"type": "exclude", "kind": "audio"},'
            '{"type": "exclude", "kind": "video"}'
            "]",
            {MTC_D},
        ),
        ('[{"type": "include", "track": "chat"}]', {MTC_D}),
        (f'[{{"type": "include", "track": "{MTC_D}"}}]', {MTC_D}),
        ('[{"type": "include", "publisher": "Carl"}]', {MTC_A, MTC_C, MTC_D}),
        ('[{"type": "include", "publisher": "Carl", "kind": "audio"}]', {MTC_A}),
    ],
)
def test_data_tracks_never_match_a_kind_filter(document, expected):
    assert record(document, ROOM_WITH_DATA) == expected


def test_rule_matches_a_data_track_only_through_other_filters():
    assert rule_matches({"type": "include", "all": True}, CHAT)
    assert rule_matches({"type": "include", "track": "chat"}, CHAT)
    assert not rule_matches({"type": "include", "kind": "audio"}, CHAT)
    assert not rule_matches({"type": "include", "kind": "video"}, CHAT)


# --- rule_matches and tracks_to_record directly ------------------------------------------------


def test_rule_matches_ignores_the_rule_type():
    alice_cam = ROOM[1]
    assert rule_matches({"type": "include", "publisher": "Alice"}, alice_cam)
    assert rule_matches({"type": "exclude", "publisher": "Alice"}, alice_cam)
    assert not rule_matches({"type": "include", "publisher": "Bob"}, alice_cam)


def test_rule_matches_refuses_an_unknown_filter_instead_of_ignoring_it():
    with pytest.raises(ValueError, match="room"):
        rule_matches({"type": "include", "room": "RM1"}, ROOM[0])


def test_tracks_to_record_refuses_an_unknown_rule_type():
    with pytest.raises(ValueError, match="record"):
        tracks_to_record([{"type": "record", "all": True}], ROOM)


def test_tracks_to_record_accepts_a_one_shot_iterable_of_tracks():
    document = '[{"type": "include", "kind": "audio"}, {"type": "include", "track": "screen"}]'
    assert tracks_to_record(parse_rules(document), (track for track in ROOM)) == AUDIO_SIDS | {
        MTA_S,
        MTB_S,
    }


def test_tracks_to_record_with_no_tracks_records_nothing():
    assert tracks_to_record(RECORD_ALL, []) == set()


def test_tracks_to_record_returns_a_new_set_each_time():
    first = tracks_to_record(RECORD_ALL, ROOM)
    first.clear()
    assert tracks_to_record(RECORD_ALL, ROOM) == ALL_SIDS


def test_the_module_exposes_its_constants():
    assert rules.RULES_LIMIT == 20
    assert rules.RECORD_ALL == [{"type": "include", "all": True}]


# --- property: the set algebra equals "the last matching rule wins" ----------------------------


def _reference_matches(rule, track):
    # Written independently of rules.rule_matches so that the comparison is not circular.
    checks = {
        "all": lambda value: True,
        "kind": lambda value: value == track.kind,
        "publisher": lambda value: (
            value == track.publisher_identity or value == track.publisher_sid
        ),
        "track": lambda value: value == track.name or value == track.sid,
    }
    return all(checks[name](value) for name, value in rule.items() if name != "type")


def _reference_tracks_to_record(rule_list, tracks):
    recorded = set()
    for track in tracks:
        last = None
        for rule in rule_list:
            if _reference_matches(rule, track):
                last = rule
        if last is not None and last["type"] == "include":
            recorded.add(track.sid)
    return recorded


_VALUES = {
    "kind": ["audio", "video"],
    "publisher": ["Alice", "Bob", "Carl", "Dave", "alice", ALICE_SID, BOB_SID, CARL_SID],
    "track": [
        "screen",
        "alice-cam",
        "bob-audio",
        "carl-cam",
        "chat",
        "Screen",
        MTA_S,
        MTB_C,
        MTC_A,
        MTC_D,
        "missing",
    ],
}


def _random_rule(rng):
    rule = {"type": rng.choice(["include", "exclude"])}
    if rng.random() < 0.15:
        rule["all"] = True
        return rule
    names = rng.sample(sorted(_VALUES), rng.randint(1, 3))
    for name in names:
        rule[name] = rng.choice(_VALUES[name])
    return rule


@pytest.mark.parametrize("seed", range(400))
def test_set_algebra_equals_the_last_matching_rule_winning(seed):
    rng = random.Random(seed)
    rule_list = [_random_rule(rng) for _ in range(rng.randint(1, RULES_LIMIT))]
    tracks = rng.sample(ROOM_WITH_DATA, rng.randint(0, len(ROOM_WITH_DATA)))
    assert parse_rules(json.dumps(rule_list)) == rule_list
    assert tracks_to_record(rule_list, tracks) == _reference_tracks_to_record(rule_list, tracks)


@pytest.mark.parametrize(
    "document",
    [
        '[{"type": "include", "publisher": "\\ud800"}]',
        '[{"type": "include", "track": "a\\u0000b"}]',
        '[{"type": "include", "\\udfff": "x"}]',
    ],
    ids=["lone-surrogate-value", "nul-in-value", "lone-surrogate-key"],
)
def test_text_that_cannot_be_stored_is_invalid(document):
    with pytest.raises(InvalidRules) as error:
        parse_rules(document)
    assert error.value.index == 0
    error.value.reason.encode("utf-8")  # the message itself can always be rendered
