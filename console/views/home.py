"""The landing page: the accounts the signed-in user belongs to and how to reach the API."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from console import selectors


@login_required
def home(request):
    memberships = selectors.memberships_of_user(user=request.user)
    return render(request, "console/home.html", {"memberships": memberships})
