from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "recordings.voice"
    label = "voice"
    verbose_name = "Calls, conferences and voice recordings"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.voice.tasks  # noqa: F401
        from recordings.lifecycle.kinds import register
        from recordings.lifecycle.watchdog import register_media_wait
        from recordings.media.signed import register_servable
        from recordings.voice import selectors, services
        from recordings.voice.kind import VOICE

        # A signed media URL serves its file only while the recording is not deleted.
        register_servable("RE", lambda sid: selectors.voice_recording_media_servable(sid=sid))
        register(VOICE)
        register_media_wait("voice", services.voice_recordings_give_up_audio)
