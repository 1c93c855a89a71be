"""The account's auth token, for its owner: rotate it through a secondary token, as Twilio does.

The primary token is never shown here (it is handed out once, when the account is created); a
secondary token is shown once, in the answer to the POST that creates it.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from console import services
from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.roles import Action


class AuthTokenPage(AccountPageMixin, TemplateView):
    action = Action.MANAGE_AUTH_TOKEN
    template_name = "console/team/auth_token.html"


@method_decorator(never_cache, name="dispatch")
class SecondaryCreate(AccountPageMixin, TemplateView):
    """Create the secondary token and answer the POST itself with it: nothing keeps it after."""

    action = Action.MANAGE_AUTH_TOKEN
    template_name = "console/team/auth_token_created.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            token = services.account_auth_token_secondary_create(
                account=self.account, actor=actor_for(request)
            )
        except services.SecondaryTokenExists as exc:
            messages.warning(request, str(exc))
            return redirect("team:auth-token")
        return self.render_to_response(self.get_context_data(token=token))


class _SecondaryConfirm(AccountPageMixin, FormView):
    """A confirmed change of the secondary token, then back to the auth token page."""

    action = Action.MANAGE_AUTH_TOKEN
    form_class = ConfirmForm
    service = None
    done = ""

    def form_valid(self, form):
        try:
            self.service(account=self.account, actor=actor_for(self.request))
        except services.NoSecondaryToken as exc:
            messages.error(self.request, str(exc))
        else:
            messages.success(self.request, self.done)
        return redirect("team:auth-token")


class SecondaryPromote(_SecondaryConfirm):
    template_name = "console/team/auth_token_promote.html"
    service = staticmethod(services.account_auth_token_secondary_promote)
    done = "The secondary auth token is now the primary one; the old primary is refused."


class SecondaryDelete(_SecondaryConfirm):
    template_name = "console/team/auth_token_delete.html"
    service = staticmethod(services.account_auth_token_secondary_delete)
    done = "The secondary auth token is deleted: it authenticates nothing."
