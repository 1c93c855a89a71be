"""The registry of recording kinds: every domain app registers its kind, and SIDs find theirs."""

import dataclasses

import pytest

from recordings.lifecycle import kinds
from recordings.lifecycle.kinds import kind_for_sid, kind_of, register
from recordings.video.kind import VIDEO
from recordings.video.models import Recording
from recordings.voice.kind import VOICE
from recordings.voice.models import VoiceRecording


def test_video_and_voice_are_registered_by_their_apps():
    assert kind_of("video") is VIDEO and kind_of("video").model is Recording
    assert kind_of("voice") is VOICE and kind_of("voice").model is VoiceRecording
    assert {kind.name for kind in kinds.kinds()} >= {"video", "voice"}


def test_prefixes_are_unique_and_find_their_kind():
    prefixes = [kind.prefix for kind in kinds.kinds()]
    assert len(prefixes) == len(set(prefixes))
    assert kind_for_sid("RT" + "a" * 32) is VIDEO
    assert kind_for_sid("RE" + "a" * 32) is VOICE
    assert kind_for_sid("CA" + "a" * 32) is None


def test_bulk_deletion_products_are_kinds():
    from recordings.lifecycle.models import BulkDeletion

    assert {kind_of(product).name for product in BulkDeletion.Product.values} == {
        "composition",
        "video",
        "voice",
    }


def test_a_second_kind_with_a_taken_name_or_prefix_is_refused():
    with pytest.raises(ValueError):
        register(dataclasses.replace(VOICE, prefix="RT"))
    with pytest.raises(ValueError):
        register(dataclasses.replace(VIDEO, name="voice"))
    # Registering the same kind again (ready() run twice) is harmless.
    register(VIDEO)
    assert kind_of("video") is VIDEO


def test_a_kind_must_spell_deleted_and_completed_as_the_lifecycle_does():
    with pytest.raises(ValueError):
        register(
            dataclasses.replace(
                VIDEO, name="odd", prefix="ZZ", statuses=("processing", "completed", "gone")
            )
        )
    assert "odd" not in {kind.name for kind in kinds.kinds()}


def test_deletable_statuses_are_decided_by_the_kind():
    assert VIDEO.can_delete("completed") and VIDEO.can_delete("failed")
    assert not VIDEO.can_delete("processing") and not VIDEO.can_delete("deleted")
    assert VOICE.can_delete("completed")
    assert not any(VOICE.can_delete(s) for s in ("processing", "absent", "deleted"))
