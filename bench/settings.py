"""The app's own settings plus what only the benchmark needs: the Django admin (the changelist
baseline) and the bench URLs (a trivial view, a naive DRF peer, the admin site).

Nothing else differs from production settings, so the figures are the app's.
"""

from console.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin", "bench.baseline"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
