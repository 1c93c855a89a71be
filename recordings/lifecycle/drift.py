"""Drift between recording metadata and the media store, found by a daily check.

Two kinds: a completed recording whose ``media_key`` names no stored file (metadata pointing at
missing media), and a stored file no recording references (orphaned media). Every registered kind
alike, each naming its recordings' files (a voice recording: its original and every rendition).
The check reads only; it reports counts and a few sample keys so that someone can look, and never
deletes anything. The store's keys are listed once (a folder walk, or a bucket listing) and
compared with the keys in the database.
"""

from console.models import Account
from recordings.lifecycle.kinds import COMPLETED, kinds
from recordings.media.store import get_media_store


def media_drift_report(*, account: Account | None = None, limit: int = 1000) -> dict:
    """Compare metadata with the media store (of one account, or all); return counts and samples.

    The counts are exact; each sample list holds at most ``limit`` keys, sorted.
    """
    store = get_media_store()
    # Keys start with the account SID, so one account's media is its own prefix.
    stored = set(store.keys(prefix=f"{account.sid}/" if account is not None else ""))
    missing, referenced = [], set()
    for kind in kinds():
        recordings = kind.model.objects.exclude(media_key="")
        if account is not None:
            recordings = recordings.filter(account=account)
        # A kind lists no file of media kept elsewhere (an account's own bucket): not ours.
        for _, _, key, keys in kind.media_files(recordings.filter(status=COMPLETED)):
            if keys and key not in stored:
                missing.append(key)
        for _, _, _, keys in kind.media_files(recordings):
            referenced.update(keys)
    missing.sort()
    orphaned = sorted(stored - referenced)
    return {
        "account": account.sid if account is not None else None,
        "missing_media_count": len(missing),
        "missing_media_sample": missing[:limit],
        "orphans_checked": True,
        "orphaned_media_count": len(orphaned),
        "orphaned_media_sample": orphaned[:limit],
    }
