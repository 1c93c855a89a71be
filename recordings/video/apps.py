from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "recordings.video"
    label = "video"
    verbose_name = "Video rooms and recordings"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.video.tasks  # noqa: F401
        from recordings.lifecycle.kinds import register
        from recordings.media.signed import register_servable
        from recordings.video import selectors
        from recordings.video.api.service_errors import register_service_errors
        from recordings.video.kind import VIDEO

        # A signed media URL serves its file only while the recording is not deleted.
        register_servable("RT", lambda sid: selectors.recording_media_servable(sid=sid))
        register_service_errors()
        register(VIDEO)
