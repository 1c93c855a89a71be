"""A default ``ModelAdmin`` of Recording, registered only under the bench settings.

Left at Django's defaults on purpose (full result count, 100 rows a page, ordering by -pk): that
default is what the console's Recordings Logs page is measured against.
"""

from django.contrib import admin

from recordings.video.models import Recording


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["sid", "date_created", "status", "type", "track_name"]
    list_filter = ["status"]
