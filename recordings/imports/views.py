"""Console pages of imports (admins and owners): the account's import jobs with a form to start
one, and one job's progress with its failures and what it imported.

A job started here imports into the account the console works in. The source's auth token is
posted once: the service keeps it encrypted while the job waits or runs and clears it when the
job stops; no page ever shows it.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from console.access import AccountPageMixin, actor_for
from console.roles import Action
from recordings.imports import services
from recordings.imports.forms import ImportStartForm
from recordings.imports.models import ImportItem, ImportJob
from recordings.imports.source import TWILIO_API
from recordings.video.models import Recording
from recordings.voice.models import VoiceRecording

LIST_CAP = 100
# Failed and imported items shown on a job's page (each list says how many there are in all).
ITEMS_CAP = 200
# A job quiet for longer than this is shown as perhaps stuck (and no longer blocks a new start).
QUIET_AFTER = services.QUIET_AFTER


def _jobs_of(account):
    return ImportJob.objects.filter(account=account).select_related("created_by")


def _describe(job: ImportJob) -> None:
    """Attach what the pages show of a job: its size in MB and what it imports."""
    job.megabytes = f"{job.bytes / 1e6:.1f}"
    options = job.options or {}
    what = "video and voice recordings" if options.get("voice") else "video recordings"
    if options.get("include_deleted"):
        what += ", deleted ones too"
    since, until = (options.get(name) or "" for name in ("since", "until"))
    if since and until:
        what += f", created {since[:10]} to before {until[:10]}"
    elif since:
        what += f", created on or after {since[:10]}"
    elif until:
        what += f", created before {until[:10]}"
    job.imports = what
    job.is_twilio = job.source == TWILIO_API


@method_decorator([never_cache, sensitive_post_parameters("auth_token")], name="dispatch")
class ImportListView(AccountPageMixin, FormView):
    """The account's import jobs, newest first, and the form to start one (PRG to its page)."""

    action = Action.ADMINISTER
    template_name = "recordings/imports/list.html"
    form_class = ImportStartForm

    def get_context_data(self, **kwargs):
        jobs = list(_jobs_of(self.account).order_by("-date_created", "-id")[: LIST_CAP + 1])
        for job in jobs:
            _describe(job)
        return super().get_context_data(
            jobs=jobs[:LIST_CAP], truncated=len(jobs) > LIST_CAP, twilio_api=TWILIO_API, **kwargs
        )

    def form_valid(self, form):
        try:
            job = services.import_job_start(
                account=self.account, actor=actor_for(self.request), **form.start_keywords()
            )
        except services.ImportInProgress as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Import {job.pk} is queued: recordings of {job.source_account_sid} will be imported "
            f"into {self.account.friendly_name}.",
        )
        return redirect("imports:job", pk=job.pk)


class ImportJobView(AccountPageMixin, TemplateView):
    """How far one import is (refreshing itself until it stops), its failures, and links to the
    recordings it imported."""

    action = Action.ADMINISTER
    template_name = "recordings/imports/job.html"

    def get_context_data(self, **kwargs):
        job = _jobs_of(self.account).filter(pk=self.kwargs["pk"]).first()
        if job is None:
            raise Http404("No such import")
        _describe(job)
        job.quiet = not job.is_finished and job.date_updated < timezone.now() - QUIET_AFTER
        failures = job.items.filter(result=ImportItem.Result.FAILED).order_by("sid")
        imported = job.items.filter(result=ImportItem.Result.IMPORTED).order_by(
            "-date_updated", "-id"
        )
        imported_shown = list(imported[:ITEMS_CAP])
        return super().get_context_data(
            job=job,
            failures=list(failures[:ITEMS_CAP]),
            failures_total=failures.count(),
            imported=_with_pages(self.account, imported_shown),
            imported_total=imported.count(),
            items_cap=ITEMS_CAP,
            **kwargs,
        )


def _with_pages(account, items: list[ImportItem]) -> list[ImportItem]:
    """Attach to each item the console page of its recording (``page``) where it is here."""
    sids = [item.sid for item in items]
    video = set(
        Recording.objects.filter(
            account=account, sid__in=[s for s in sids if s[:2] == "RT"]
        ).values_list("sid", flat=True)
    )
    voice = set(
        VoiceRecording.objects.filter(
            account=account, sid__in=[s for s in sids if s[:2] == "RE"]
        ).values_list("sid", flat=True)
    )
    for item in items:
        item.page = ""
        if item.sid in video:
            item.page = "recordings:detail"
        elif item.sid in voice:
            item.page = "voice:detail"
    return items
