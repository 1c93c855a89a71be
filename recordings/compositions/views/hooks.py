"""Composition hooks (admins): the list with the form creating one, editing, enabling or
disabling, and deleting. Writes go through the hook services, which audit them."""

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import TemplateView

from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.models import Account
from console.roles import Action
from recordings.compositions import selectors, services
from recordings.compositions.exceptions import HookNameInUse
from recordings.compositions.forms import HookForm
from recordings.compositions.models import CompositionHook
from recordings.compositions.spec import Spec
from recordings.lifecycle.exceptions import ServiceError

HOOKS_SHOWN = 100


def hook_or_404(account: Account, sid: str) -> CompositionHook:
    """Return the account's hook with this SID; 404 for a foreign or unknown one."""
    hook = selectors.hook_get(account=account, sid=sid)
    if hook is None:
        raise Http404("No such composition hook")
    return hook


def hook_saved(form: HookForm, save: Callable[[Spec], CompositionHook]) -> CompositionHook | None:
    """Check a valid hook form's template and ``save(spec)`` it; put what is refused on the
    form (a name in use on its field) and return None then."""
    try:
        return save(form.spec())
    except HookNameInUse as exc:
        form.add_error("friendly_name", exc.message)
    except ServiceError as exc:  # InvalidComposition, CallbackUrlRefused
        form.add_error(None, exc.message)
    return None


class HookListView(AccountPageMixin, TemplateView):
    """The account's composition hooks, newest first, and the form creating one."""

    action = Action.ADMINISTER
    template_name = "compositions/hooks.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", HookForm())
        hooks = selectors.hook_list(account=self.account)[:HOOKS_SHOWN]
        return super().get_context_data(hooks=hooks, **kwargs)

    def post(self, request):
        form = HookForm(request.POST)
        if form.is_valid():
            hook = hook_saved(
                form,
                lambda spec: services.hook_create(
                    account=self.account,
                    friendly_name=form.cleaned_data["friendly_name"],
                    enabled=form.cleaned_data["enabled"],
                    spec=spec,
                    actor=actor_for(request),
                ),
            )
            if hook is not None:
                messages.success(request, f"Composition hook {hook.friendly_name} was created.")
                return redirect("compositions:hooks")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class HookEditView(AccountPageMixin, TemplateView):
    """Change a hook's name, state and template."""

    action = Action.ADMINISTER
    template_name = "compositions/hook_edit.html"

    def get(self, request, sid):
        hook = hook_or_404(self.account, sid)
        return self.render_to_response(self.get_context_data(hook=hook, form=HookForm.of(hook)))

    def post(self, request, sid):
        hook = hook_or_404(self.account, sid)
        form = HookForm.of(hook, request.POST)
        if form.is_valid():
            saved = hook_saved(
                form,
                lambda spec: services.hook_update(
                    hook=hook,
                    friendly_name=form.cleaned_data["friendly_name"],
                    enabled=form.cleaned_data["enabled"],
                    spec=spec,
                    actor=actor_for(request),
                ),
            )
            if saved is not None:
                messages.success(request, f"Composition hook {saved.friendly_name} was saved.")
                return redirect("compositions:hooks")
        context = self.get_context_data(hook=hook_or_404(self.account, sid), form=form)
        return self.render_to_response(context, status=400)


class HookToggleView(AccountPageMixin, TemplateView):
    """Enable or disable a hook (POST only), its template kept."""

    action = Action.ADMINISTER
    http_method_names = ["post"]

    def post(self, request, sid):
        hook = hook_or_404(self.account, sid)
        enabled = request.POST.get("enabled") == "1"
        services.hook_update(
            hook=hook,
            friendly_name=hook.friendly_name,
            enabled=enabled,
            spec=None,
            actor=actor_for(request),
        )
        state = "enabled" if enabled else "disabled"
        messages.success(request, f"Composition hook {hook.friendly_name} is {state}.")
        return redirect("compositions:hooks")


class HookDeleteView(AccountPageMixin, TemplateView):
    """Delete a hook: a confirmation page, then a POST; its compositions stay."""

    action = Action.ADMINISTER
    template_name = "compositions/hook_delete.html"

    def get(self, request, sid):
        hook = hook_or_404(self.account, sid)
        return self.render_to_response(self.get_context_data(hook=hook, form=ConfirmForm()))

    def post(self, request, sid):
        hook = hook_or_404(self.account, sid)
        if not ConfirmForm(request.POST).is_valid():
            messages.error(request, "Confirm the deletion with the Delete button.")
            return redirect("compositions:hook-delete", sid=hook.sid)
        services.hook_delete(hook=hook, actor=actor_for(request))
        messages.success(request, f"Composition hook {hook.friendly_name} was deleted.")
        return redirect("compositions:hooks")
