"""Enumerations every kind of recording shares, in the reference's own spelling."""

from django.db import models


class CallbackMethod(models.TextChoices):
    GET = "GET"
    POST = "POST"
