from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = "Video recordings"

    def ready(self):
        from recordings import selectors
        from recordings.api.service_errors import register_service_errors
        from recordings.media.signed import register_servable
        from recordings.voice import selectors as voice_selectors

        # A signed media URL serves its file only while the recording is not deleted.
        register_servable("RT", lambda sid: selectors.recording_media_servable(sid=sid))
        register_servable("RE", lambda sid: voice_selectors.voice_recording_media_servable(sid=sid))
        register_service_errors()
