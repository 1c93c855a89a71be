"""Sign in (locked out by django-axes after failures), sign out, password, switch account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from console.access import switch_account


@login_required
@require_POST
def switch(request):
    membership = switch_account(request, request.POST.get("account", ""))
    if membership is None:
        messages.error(request, "You are not a member of that account.")
    else:
        messages.success(request, f"Now working in {membership.account.friendly_name}.")
    return redirect("home")
