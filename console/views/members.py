"""Members and roles of the current account: list, change role, remove (owners only).

People are added by invitation (console.views.invitations)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView

from console import selectors, services
from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.models import Membership
from console.roles import Action, Role, role_allows

LIST_CAP = 500  # an account has a handful of members; the page still never grows without bound


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class MemberList(AccountPageMixin, TemplateView):
    action = Action.MANAGE_MEMBERS
    template_name = "console/team/members.html"

    def get_context_data(self, **kwargs):
        members = list(selectors.members_of(account=self.account)[: LIST_CAP + 1])
        return super().get_context_data(
            members=members[:LIST_CAP], truncated=len(members) > LIST_CAP, **kwargs
        )


class MemberPageMixin(AccountPageMixin):
    """A page about one member of the current account (404 for any other account's)."""

    action = Action.MANAGE_MEMBERS

    @cached_property
    def member(self) -> Membership:
        return get_object_or_404(selectors.members_of(account=self.account), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(member=self.member, **kwargs)

    def after_change(self, *, still_manages: bool):
        """Go back to the members list, or home if the user just gave up managing members."""
        return redirect("team:members" if still_manages else "home")


class MemberEdit(MemberPageMixin, FormView):
    template_name = "console/team/member_edit.html"
    form_class = RoleForm

    def get_initial(self):
        return {"role": self.member.role}

    def form_valid(self, form):
        try:
            changed = services.member_change_role(
                membership=self.member,
                role=form.cleaned_data["role"],
                actor=actor_for(self.request),
            )
        except Membership.DoesNotExist:
            raise Http404 from None
        except services.LastOwner as refused:
            form.add_error(None, str(refused))
            return self.render_to_response(self.get_context_data(form=form), status=409)
        messages.success(self.request, f"{changed.user.username} is now {changed.role}.")
        its_me = changed.pk == self.membership.pk
        return self.after_change(
            still_manages=not its_me or role_allows(changed.role, Action.MANAGE_MEMBERS)
        )


class MemberRemove(MemberPageMixin, FormView):
    template_name = "console/team/member_remove.html"
    form_class = ConfirmForm

    def form_valid(self, form):
        member = self.member
        try:
            services.member_remove(membership=member, actor=actor_for(self.request))
        except Membership.DoesNotExist:
            raise Http404 from None
        except services.LastOwner as refused:
            form.add_error(None, str(refused))
            return self.render_to_response(self.get_context_data(form=form), status=409)
        messages.success(self.request, f"{member.user.username} was removed from this account.")
        return self.after_change(still_manages=member.pk != self.membership.pk)
