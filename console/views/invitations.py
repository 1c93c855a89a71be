"""Invitations: an owner or admin invites an email with a role (pending ones listed, revocable),
and the invitee follows the link to set their own password or accept with their login."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from console import selectors, services
from console.access import SESSION_ACCOUNT, AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.mail import invitation_mail_send, mail_leaves_server
from console.models import Invitation
from console.roles import Action, Role, roles_grantable

LIST_CAP = 500


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(label="Role", initial=Role.MEMBER)

    def __init__(self, *args, roles: tuple[Role, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]


class InvitationList(AccountPageMixin, TemplateView):
    action = Action.INVITE
    template_name = "console/team/invitations.html"

    def get_context_data(self, **kwargs):
        pending = list(selectors.invitations_pending(account=self.account)[: LIST_CAP + 1])
        return super().get_context_data(
            invitations=pending[:LIST_CAP], truncated=len(pending) > LIST_CAP, **kwargs
        )


def invitation_link(request, token: str) -> str:
    """Return the absolute link of an invitation, on PUBLIC_BASE_URL when it is set."""
    path = reverse("invitation-accept", args=[token])
    return (
        settings.PUBLIC_BASE_URL + path
        if settings.PUBLIC_BASE_URL
        else request.build_absolute_uri(path)
    )


@method_decorator(never_cache, name="dispatch")
class InvitationCreate(AccountPageMixin, FormView):
    """Invite someone: the link is mailed, or shown on this response alone without a mail server.

    The answer is the same whether or not the email has a login anywhere.
    """

    action = Action.INVITE
    template_name = "console/team/member_add.html"
    form_class = InviteForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "roles": roles_grantable(self.membership.role)}

    def form_valid(self, form):
        try:
            new = services.invitation_create(
                account=self.account, **form.cleaned_data, actor=actor_for(self.request)
            )
        except services.AlreadyMember as refused:
            form.add_error("email", str(refused))
            return self.form_invalid(form)
        link = invitation_link(self.request, new.token)
        if not mail_leaves_server():
            # The token never goes to the console backend's output (the server's logs).
            context = self.get_context_data(invitation=new.invitation, link=link)
            return self.response_class(
                request=self.request,
                template="console/team/invitation_created.html",
                context=context,
            )
        if invitation_mail_send(invitation=new.invitation, link=link):
            messages.success(self.request, f"Invitation sent to {new.invitation.email}.")
        else:
            messages.error(
                self.request,
                f"The invitation to {new.invitation.email} could not be mailed. Check the mail "
                "server (EMAIL_URL), then invite them again.",
            )
        return redirect("team:invitations")


class InvitationRevoke(AccountPageMixin, FormView):
    action = Action.INVITE
    template_name = "console/team/invitation_revoke.html"
    form_class = ConfirmForm

    @cached_property
    def invitation(self) -> Invitation:
        invitations = selectors.invitations_of(account=self.account).select_related("account")
        return get_object_or_404(invitations, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(invitation=self.invitation, **kwargs)

    def form_valid(self, form):
        try:
            services.invitation_revoke(invitation=self.invitation, actor=actor_for(self.request))
        except services.InvitationUnusable as unusable:
            messages.info(self.request, f"{self.invitation.email}: {unusable}")
        else:
            messages.success(self.request, f"The invitation to {self.invitation.email} is revoked.")
        return redirect("team:invitations")


# THE INVITEE'S SIDE -----------------------------------------------------------------------------

INVALID_STATUS = {"unknown": 404, "accepted": 410, "revoked": 410, "expired": 410}


@method_decorator(never_cache, name="dispatch")
class InvitationAccept(TemplateView):
    """The link's page: set a password (no login yet), sign in then accept (a login exists), or
    accept (signed in as the invitee). Anyone else is refused."""

    template_name = "registration/invitation.html"

    def dispatch(self, request, *args, **kwargs):
        self.invitation = selectors.invitation_for_token(token=kwargs["token"])
        if self.invitation is None:
            return self.refuse("unknown")
        reason = self.invitation.unusable_because(timezone.now())
        if reason is not None:
            return self.refuse(reason)
        user = request.user
        self.has_login = user.is_authenticated or selectors.login_exists(
            email=self.invitation.email
        )
        if user.is_authenticated and user.username != self.invitation.email:
            return self.render_to_response(self.get_context_data(wrong_user=True), status=403)
        return super().dispatch(request, *args, **kwargs)

    def refuse(self, reason: str):
        context = {"reason": reason, "invitation": self.invitation}
        status = INVALID_STATUS[reason]
        return render(self.request, "registration/invitation_invalid.html", context, status=status)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", None if self.has_login else self.password_form())
        return super().get_context_data(
            invitation=self.invitation,
            account=self.invitation.account,
            has_login=self.has_login,
            **kwargs,
        )

    def password_form(self, data=None) -> SetPasswordForm:
        # Validated against an unsaved user so the validators can compare it with the email.
        email = self.invitation.email
        return SetPasswordForm(get_user_model()(username=email, email=email), data)

    def post(self, request, *args, **kwargs):
        source_ip = request.META.get("REMOTE_ADDR")
        try:
            if request.user.is_authenticated:
                membership = services.invitation_accept(
                    invitation=self.invitation, user=request.user, source_ip=source_ip
                )
            else:
                if self.has_login:  # its owner signs in first; nobody else sets its password
                    return self.render_to_response(self.get_context_data(), status=403)
                form = self.password_form(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                membership = services.invitation_accept_with_password(
                    invitation=self.invitation,
                    password=form.cleaned_data["new_password1"],
                    source_ip=source_ip,
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except services.InvitationUnusable as unusable:
            return self.refuse(unusable.reason)
        except services.LoginExists:
            self.has_login = True
            return self.render_to_response(self.get_context_data(form=None), status=403)
        request.session[SESSION_ACCOUNT] = membership.account_id
        messages.success(
            request,
            f"Welcome to {membership.account.friendly_name}: you are {membership.role} here.",
        )
        return redirect("home")
