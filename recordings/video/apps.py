from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "recordings.video"
    label = "video"
    verbose_name = "Video rooms and recordings"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.video.tasks  # noqa: F401
        from recordings.lifecycle.kinds import register
        from recordings.lifecycle.watchdog import register_media_wait
        from recordings.media.signed import register_servable
        from recordings.video import selectors, services
        from recordings.video.api.service_errors import register_service_errors
        from recordings.video.kind import VIDEO

        # A signed media URL serves its file only while the recording is not deleted.
        register_servable("RT", lambda sid: selectors.recording_media_servable(sid=sid))
        register_service_errors()
        register(VIDEO)
        register_media_wait("video", services.recordings_give_up_media)
