"""Drift between recording metadata and the media store, found by a daily check.

Two kinds: a completed recording whose ``media_key`` names no stored file (metadata pointing at
missing media), and a stored file no recording references (orphaned media). Video and voice
recordings alike; a voice recording references its original and every rendition of it. The check
reads only; it reports counts and a few sample keys so that someone can look, and never deletes
anything. The store's keys are listed once (a folder walk, or a bucket listing) and compared with
the keys in the database.
"""

from console.models import Account
from recordings.media.store import get_media_store
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from recordings.voice import media as voice_media
from recordings.voice.models import VoiceRecording


def media_drift_report(*, account: Account | None = None, limit: int = 1000) -> dict:
    """Compare metadata with the media store (of one account, or all); return counts and samples.

    The counts are exact; each sample list holds at most ``limit`` keys, sorted.
    """
    store = get_media_store()
    # Media in an account's own bucket (external storage) is the account's to keep track of.
    recordings = Recording.objects.exclude(media_key="").filter(
        media_external_location__isnull=True
    )
    if account is not None:
        recordings = recordings.filter(account=account)
    voice = VoiceRecording.objects.exclude(media_key="")
    if account is not None:
        voice = voice.filter(account=account)
    # Both products spell "completed" the same way.
    completed = [
        qs.filter(status=RecordingStatus.COMPLETED).values_list("media_key", flat=True)
        for qs in (recordings, voice)
    ]
    # Keys start with the account SID, so one account's media is its own prefix.
    stored = set(store.keys(prefix=f"{account.sid}/" if account is not None else ""))
    missing = sorted(
        key for keys in completed for key in keys.iterator(chunk_size=5000) if key not in stored
    )
    referenced = set(recordings.values_list("media_key", flat=True).iterator(chunk_size=5000))
    for account_id, sid, channels in voice.values_list("account_id", "sid", "channels").iterator(
        chunk_size=5000
    ):
        referenced.update(voice_media.all_keys(account_id, sid, channels))
    orphaned = sorted(stored - referenced)
    return {
        "account": account.sid if account is not None else None,
        "missing_media_count": len(missing),
        "missing_media_sample": missing[:limit],
        "orphans_checked": True,
        "orphaned_media_count": len(orphaned),
        "orphaned_media_sample": orphaned[:limit],
    }
