"""API keys of the current account: list, create with a scope (the secret is shown once), revoke."""

import secrets

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from console import selectors, services
from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.models import ApiKey
from console.roles import Action, Scope

LIST_CAP = 500
# Form nonces already used to create a key, mapped to that key's SID (never its secret): a
# reloaded or double-submitted create form is refused instead of minting a second key.
SESSION_NONCES = "roomvault.api_key_nonces"
NONCES_KEPT = 20


class KeyCreateForm(forms.Form):
    friendly_name = forms.CharField(
        label="Friendly name",
        max_length=255,
        required=False,
        help_text="What the key is for, e.g. “media server eu-1”.",
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=[
            (Scope.STANDARD, "Standard: the Video and Voice APIs, not settings or credentials"),
            (Scope.READ, "Read: GET and HEAD requests on the APIs only"),
            (Scope.INGEST, "Ingest: only the media-server API (/ingest/v1), for a media server"),
            (Scope.MAIN, "Main: everything, including recording settings and credentials"),
        ],
        initial=Scope.STANDARD,
        widget=forms.RadioSelect,
        help_text="Give each application the narrowest scope that does its job.",
    )
    nonce = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class KeyList(AccountPageMixin, TemplateView):
    action = Action.ADMINISTER
    template_name = "console/team/keys.html"

    def get_context_data(self, **kwargs):
        keys = list(selectors.api_keys_of(account=self.account)[: LIST_CAP + 1])
        return super().get_context_data(
            keys=keys[:LIST_CAP], truncated=len(keys) > LIST_CAP, **kwargs
        )


@method_decorator(never_cache, name="dispatch")
class KeyCreate(AccountPageMixin, FormView):
    """Create a key and answer the POST itself with its secret: nothing keeps it afterwards."""

    action = Action.ADMINISTER
    template_name = "console/team/key_create.html"
    form_class = KeyCreateForm

    def get_initial(self):
        return {"nonce": secrets.token_urlsafe(16)}

    def form_valid(self, form):
        nonce = form.cleaned_data["nonce"]
        used = self.request.session.get(SESSION_NONCES, {})
        if nonce and nonce in used:
            messages.warning(
                self.request,
                f"Key {used[nonce]} was already created from this form; its secret was shown "
                "only once. Revoke it and create a new key if the secret was not saved.",
            )
            return redirect("team:keys")
        new = services.api_key_create(
            account=self.account,
            friendly_name=form.cleaned_data["friendly_name"],
            scope=form.cleaned_data["scope"],
            actor=actor_for(self.request),
        )
        if nonce:
            used = dict(list(used.items())[-(NONCES_KEPT - 1) :])
            used[nonce] = new.key.sid
            self.request.session[SESSION_NONCES] = used
        context = self.get_context_data(key=new.key, secret=new.secret)
        return self.response_class(
            request=self.request, template="console/team/key_created.html", context=context
        )


class KeyRevoke(AccountPageMixin, FormView):
    action = Action.ADMINISTER
    template_name = "console/team/key_revoke.html"
    form_class = ConfirmForm

    @cached_property
    def key(self) -> ApiKey:
        keys = selectors.api_keys_of(account=self.account).select_related("account")
        return get_object_or_404(keys, sid=self.kwargs["sid"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(key=self.key, **kwargs)

    def form_valid(self, form):
        if self.key.date_revoked is not None:
            messages.info(self.request, f"{self.key.sid} was already revoked.")
        else:
            services.api_key_revoke(key=self.key, actor=actor_for(self.request))
            messages.success(self.request, f"{self.key.sid} is revoked: it authenticates nothing.")
        return redirect("team:keys")
