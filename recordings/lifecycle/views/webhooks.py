"""Console pages: the webhook log (every status callback sent, with its attempts) and a replay."""

from typing import Any, cast

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from console.access import AccountPageMixin, actor_for
from console.roles import Action
from recordings.lifecycle import delivery, selectors, stats
from recordings.lifecycle.forms import WebhookLogFilterForm
from recordings.lifecycle.models import CallbackAttempt
from recordings.lifecycle.signing import request_url
from recordings.lifecycle.views.lists import KeysetListMixin


class WebhookLogView(AccountPageMixin, KeysetListMixin, TemplateView):
    """The account's status callbacks, newest first, filtered, each with its attempts."""

    action = Action.VIEW
    template_name = "recordings/webhook_log.html"
    filter_form_class = WebhookLogFilterForm

    def matching(self, form: Form) -> QuerySet:
        chosen = cast(WebhookLogFilterForm, form).filter()
        return selectors.callback_delivery_list(account=self.account, filter=chosen)

    def for_display(self, qs: QuerySet) -> QuerySet:
        attempts = CallbackAttempt.objects.order_by("number")
        return qs.prefetch_related(Prefetch("attempts", queryset=attempts))

    def present(self, row: Any) -> None:
        row.request_url = request_url(row.url, row.method, row.params)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            health=stats.callback_health_figure(account=self.account), **kwargs
        )


class WebhookReplayView(AccountPageMixin, View):
    """Send one of the account's status callbacks again (POST only, CSRF-checked)."""

    action = Action.REPLAY_CALLBACKS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        original = selectors.callback_delivery_get(account=self.account, delivery_id=pk)
        if original is None:
            raise Http404
        replay = delivery.callback_replay(delivery=original, actor=actor_for(request))
        messages.success(
            request, f"{original.event} is being sent again to {original.url} (#{replay.pk})."
        )
        back = request.POST.get("query", "")
        return redirect(reverse("webhooks:list") + (f"?{back}" if back else ""))
