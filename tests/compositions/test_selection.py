"""Track patterns: `*` matches any run of characters, everything else is literal; SIDs match."""

import pytest

from recordings.compositions.selection import matches, select


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("student*", "student", True),
        ("student*", "studentTeam", True),
        ("student*", "Student", False),
        ("student*", "a-student", False),
        ("*cam", "alice-cam", True),
        ("*cam", "alice-cam2", False),
        ("a*c*e", "alice", True),
        ("a*c*e", "ace", True),
        ("a*c*e", "acb", False),
        ("*", "", True),
        ("*", "anything at all", True),
        ("screen", "screen", True),
        ("screen", "screen2", False),
        # Only `*` is special: regex and shell characters are the characters themselves.
        ("cam.1", "camX1", False),
        ("cam.1", "cam.1", True),
        ("cam?", "cam1", False),
        ("cam[1]", "cam[1]", True),
        ("cam[1]", "cam1", False),
    ],
)
def test_a_pattern_matches_a_track_name(pattern, name, expected):
    assert matches(pattern, name=name) is expected


def test_a_sid_matches_only_exactly():
    sid = "MT" + "a" * 32

    assert matches(sid, name="alice", sids=[sid])
    assert not matches(sid[:-1], name="alice", sids=[sid])
    assert not matches(sid, name="alice", sids=["MT" + "b" * 32])


def test_select_keeps_the_included_not_excluded_in_their_order():
    tracks = [("teacher", "MT1"), ("student-b", "MT2"), ("student-a", "MT3"), ("guest", "MT4")]

    def identity(track):
        return track[0], (track[1],)

    assert select(tracks, ["student*", "teacher"], [], identity=identity) == tracks[:3]
    assert select(tracks, ["*"], ["student-a", "MT4"], identity=identity) == tracks[:2]
    assert select(tracks, ["*"], ["*"], identity=identity) == []
    assert select(tracks, [], identity=identity) == []
    assert select(reversed(tracks), ["student*"], identity=identity) == [tracks[2], tracks[1]]
