"""Where a voice recording's audio lives in the media store, and its WAV/MP3 renditions.

The stored original is an 8 kHz WAV with the channels the recording was made with. A download in
another format or channel count is transcoded once and kept beside it under its own key, so a
second download is served from the store without transcoding again; deleting the recording
removes every rendition with it.
"""

import tempfile
from pathlib import Path

from recordings.media.store import get_media_store
from recordings.voice import audio
from recordings.voice.models import VoiceRecording

FORMATS = ("wav", "mp3")
CHANNEL_COUNTS = (1, 2)


def original_key(recording: VoiceRecording) -> str:
    """Return the media-store key of a recording's stored WAV."""
    return f"{recording.account_id}/voice/{recording.sid}.wav"


def rendition_key(recording: VoiceRecording, *, format: str, channels: int) -> str:
    """Return the key of a recording in a format and channel count (the original where it is)."""
    if format == "wav" and channels == recording.channels:
        return original_key(recording)
    return f"{recording.account_id}/voice/{recording.sid}.{channels}ch.{format}"


def all_keys(account_id: str, sid: str, channels: int) -> list[str]:
    """Return every key a recording's audio may be stored under (original and renditions)."""
    recording = VoiceRecording(sid=sid, account_id=account_id, channels=channels)
    return sorted(
        {rendition_key(recording, format=f, channels=c) for f in FORMATS for c in CHANNEL_COUNTS}
    )


def rendition(recording: VoiceRecording, *, format: str, channels: int) -> str:
    """Return the key of a completed recording's audio in this format and channel count,
    transcoding (and downmixing) from the original on the first request only."""
    store = get_media_store()
    key = rendition_key(recording, format=format, channels=channels)
    if store.exists(key):
        return key
    with tempfile.TemporaryDirectory(prefix="roomvault-voice-") as folder:
        source = Path(folder, "original.wav")
        with store.open(original_key(recording)) as stream, source.open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                out.write(chunk)
        sound = audio.decode(source)
        if channels == 1:
            sound = audio.downmix(sound)
        target = Path(folder, f"rendition.{format}")
        with target.open("wb") as out:
            audio.encode(sound, format=format, out=out)
        with target.open("rb") as stream:
            store.save(key, stream)
    return key
