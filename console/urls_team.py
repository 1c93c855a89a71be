"""Console pages of the team: members and invitations, API keys, the auth token, audit log. The
root URLconf adds the recording settings pages to the same namespace."""

from django.urls import path

from console.views import (
    api_keys,
    audit,
    auth_token,
    invitations,
    members,
)

app_name = "team"
urlpatterns = [
    path("members/", members.MemberList.as_view(), name="members"),
    path("members/add/", invitations.InvitationCreate.as_view(), name="member-add"),
    path("members/invitations/", invitations.InvitationList.as_view(), name="invitations"),
    path(
        "members/invitations/<int:pk>/revoke/",
        invitations.InvitationRevoke.as_view(),
        name="invitation-revoke",
    ),
    path("members/<int:pk>/", members.MemberEdit.as_view(), name="member-edit"),
    path("members/<int:pk>/remove/", members.MemberRemove.as_view(), name="member-remove"),
    path("keys/", api_keys.KeyList.as_view(), name="keys"),
    path("keys/create/", api_keys.KeyCreate.as_view(), name="key-create"),
    path("keys/<str:sid>/revoke/", api_keys.KeyRevoke.as_view(), name="key-revoke"),
    path("auth-token/", auth_token.AuthTokenPage.as_view(), name="auth-token"),
    path("auth-token/secondary/", auth_token.SecondaryCreate.as_view(), name="auth-token-create"),
    path("auth-token/promote/", auth_token.SecondaryPromote.as_view(), name="auth-token-promote"),
    path(
        "auth-token/secondary/delete/",
        auth_token.SecondaryDelete.as_view(),
        name="auth-token-delete",
    ),
    path("audit/", audit.AuditLog.as_view(), name="audit"),
    path("audit/export/", audit.AuditExport.as_view(), name="audit-export"),
]
