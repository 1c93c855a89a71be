"""Console pages of retention policies: the list, a policy with its runs, the create and edit
form whose Save needs the preview of exactly the values saved, Run now and Delete (each a
confirmation, then a POST). Anyone in the account sees policies; writing them, running and
deleting them needs MANAGE_RETENTION."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.generic import TemplateView

from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.roles import Action
from recordings.lifecycle import policies
from recordings.lifecycle.kinds import kind_of
from recordings.lifecycle.models import RetentionPolicy
from recordings.lifecycle.policy_forms import PolicyForm


def _logs_url(product: str) -> str:
    """Return the Logs page of a kind ("" where it is not routed), where a filter is built."""
    try:
        return reverse(kind_of(product).list_url_name)
    except (KeyError, NoReverseMatch):
        return ""


class PolicyListView(AccountPageMixin, TemplateView):
    """List the account's retention policies, each said in words."""

    action = Action.VIEW
    template_name = "recordings/policies/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        rows = [
            (policy, policies.policy_in_words(policy))
            for policy in policies.policy_list(account=self.account)
        ]
        return super().get_context_data(rows=rows, **kwargs)


class _PolicyPage(AccountPageMixin, TemplateView):
    """A page of one of the account's policies (foreign and unknown SIDs alike are 404)."""

    action = Action.MANAGE_RETENTION

    def dispatch(self, request, *args, **kwargs):
        self.policy: RetentionPolicy | None = None
        return super().dispatch(request, *args, **kwargs)

    def get_policy(self) -> RetentionPolicy:
        if self.policy is None:
            self.policy = policies.policy_get(account=self.account, sid=self.kwargs["sid"])
            if self.policy is None:
                raise Http404("No such retention policy")
        return self.policy

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        policy = self.get_policy()
        return super().get_context_data(
            policy=policy, in_words=policies.policy_in_words(policy), **kwargs
        )


class PolicyDetailView(_PolicyPage):
    """Show a policy and its recent runs, each linked to its bulk deletion's progress."""

    action = Action.VIEW
    template_name = "recordings/policies/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        runs = policies.policy_runs(policy=self.get_policy())
        return super().get_context_data(runs=runs, **kwargs)


class PolicyCreateView(AccountPageMixin, TemplateView):
    """The form: Preview shows what these values delete now; only then can they be saved."""

    action = Action.MANAGE_RETENTION
    template_name = "recordings/policies/form.html"

    def make_form(self, data: Any = None) -> PolicyForm:
        initial = {k: self.request.GET[k] for k in ("product", "query") if k in self.request.GET}
        return PolicyForm(data, initial={"enabled": True, **initial})

    def save(self, form: PolicyForm) -> RetentionPolicy:
        data = form.cleaned_data
        return policies.policy_create(
            account=self.account,
            actor=actor_for(self.request),
            name=data["name"],
            product=data["product"],
            query=data["query"],
            age_days=data["age_days"],
            enabled=data["enabled"],
        )

    def get(self, request, *args, **kwargs):
        return self.show(self.make_form())

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.show(form, status=400)
        if "save" in request.POST and form.was_previewed(self.account):
            try:
                policy = self.save(form)
            except policies.InvalidPolicy as exc:
                form.add_error(None, exc.message)
                return self.show(form, status=400)
            messages.success(request, f"Retention policy “{policy.name}” saved.")
            return redirect("policies:detail", sid=policy.sid)
        if "save" in request.POST:
            messages.warning(request, "These values changed since the preview: check it again.")
        return self.preview(form)

    def preview(self, form: PolicyForm) -> HttpResponse:
        """Show what the form's values delete now, with the digest that lets them be saved."""
        data = form.cleaned_data
        try:
            preview = policies.policy_preview(
                account=self.account,
                product=data["product"],
                query=data["query"],
                age_days=data["age_days"],
                now=timezone.now(),
            )
        except policies.InvalidPolicy as exc:
            form.add_error("query", exc.message)
            return self.show(form, status=400)
        # The preview's digest goes back in the form, so that Save posts it with these values.
        posted = self.request.POST.copy()
        posted["digest"] = form.digest_of(self.account)
        form.data = posted
        return self.show(form, preview=preview)

    def show(self, form: PolicyForm, *, preview: Any = None, status: int = 200) -> HttpResponse:
        product = str(
            (form.cleaned_data.get("product") if form.is_bound else form["product"].value()) or ""
        )
        context = self.get_context_data(
            form=form,
            preview=preview,
            product=product,
            noun=kind_of(product).noun if preview else "",
            logs_url=_logs_url(product or "video"),
        )
        return self.render_to_response(context, status=status)


class PolicyEditView(_PolicyPage, PolicyCreateView):
    """The same form for a saved policy; its kind stays."""

    def make_form(self, data: Any = None) -> PolicyForm:
        policy = self.get_policy()
        initial = {
            "name": policy.name,
            "product": policy.product,
            "query": policy.query,
            "age_days": policy.age_days,
            "enabled": policy.enabled,
        }
        return PolicyForm(data, initial=initial, product_fixed=True)

    def save(self, form: PolicyForm) -> RetentionPolicy:
        data = form.cleaned_data
        return policies.policy_update(
            policy=self.get_policy(),
            actor=actor_for(self.request),
            name=data["name"],
            query=data["query"],
            age_days=data["age_days"],
            enabled=data["enabled"],
        )


class PolicyRunView(_PolicyPage):
    """Run a policy now: a confirmation with what it deletes at this moment, then the job."""

    template_name = "recordings/policies/run_confirm.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        policy = self.get_policy()
        preview = policies.policy_preview(
            account=self.account,
            product=policy.product,
            query=policy.query,
            age_days=policy.age_days,
            now=timezone.now(),
        )
        return super().get_context_data(
            preview=preview,
            product=policy.product,
            noun=kind_of(policy.product).noun,
            form=ConfirmForm(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        policy = self.get_policy()
        if not ConfirmForm(request.POST).is_valid():
            return redirect("policies:run", sid=policy.sid)
        job = policies.policy_run(policy=policy, now=timezone.now(), started_by=actor_for(request))
        if job is None:
            messages.info(
                request, "Nothing was queued: nothing matches now, or its last run is unfinished."
            )
            return redirect("policies:detail", sid=policy.sid)
        messages.success(request, f"Running “{policy.name}”: deleting {job.total}.")
        return redirect("bulk:progress", pk=job.pk)


class PolicyDeleteView(_PolicyPage):
    """Delete a policy after a confirmation; what its runs deleted stays deleted."""

    template_name = "recordings/policies/delete_confirm.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(form=ConfirmForm(), **kwargs)

    def post(self, request, *args, **kwargs):
        policy = self.get_policy()
        if not ConfirmForm(request.POST).is_valid():
            return redirect("policies:delete", sid=policy.sid)
        policies.policy_delete(policy=policy, actor=actor_for(request))
        messages.success(request, f"Retention policy “{policy.name}” deleted.")
        return redirect("policies:list")
