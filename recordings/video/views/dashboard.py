"""The Dashboard: the current account's recordings by status, storage, activity and live rooms."""

from django.conf import settings
from django.shortcuts import render
from django.views.generic import TemplateView

from console.access import AccountPageMixin, current_membership
from console.roles import Action
from recordings.lifecycle.kinds import kind_of
from recordings.lifecycle.stats import callback_health_figure
from recordings.video import stats
from recordings.video.kind import VIDEO

ROOMS_SHOWN = 20


class DashboardView(AccountPageMixin, TemplateView):
    """Show the account's figures; a user with no account is told so instead of refused."""

    action = Action.VIEW
    template_name = "console/home.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and current_membership(request) is None:
            return render(request, "console/home.html", {"no_membership": True})
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        rooms = stats.rooms_in_progress(account=self.account, limit=ROOMS_SHOWN)
        figures = stats.dashboard_figures(account=self.account)
        # Video first, with the section's heading; every other kind under it, when it has any.
        others = [(kind_of(name), t) for name, t in figures.totals.items() if name != VIDEO.name]
        return super().get_context_data(
            totals=figures.totals[VIDEO.name],
            totals_note=VIDEO.storage_note,
            other_totals=others,
            days=figures.days,
            figures_as_of=figures.as_of,
            figures_ttl=settings.DASHBOARD_FIGURES_SECONDS,
            rooms_in_progress=rooms[:ROOMS_SHOWN],
            more_rooms=len(rooms) > ROOMS_SHOWN,
            health=callback_health_figure(account=self.account),
            **kwargs,
        )


home = DashboardView.as_view()
