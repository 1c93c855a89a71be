"""The form that places a legal hold: the console's page and the API's parameters both read it,
so a hold is checked the same way whichever surface places it."""

from urllib.parse import urlsplit

from django import forms

from recordings.lifecycle import holds
from recordings.lifecycle.kinds import kinds
from recordings.lifecycle.models import LegalHold

Scope = LegalHold.Scope
SCOPE_LABELS = {
    Scope.ROOM: "A room (its SID)",
    Scope.PARTICIPANT: "A participant identity",
    Scope.CALL: "A call (its SID)",
    Scope.FILTER: "A Logs filter (e.g. a date range)",
}


def _products() -> list[tuple[str, str]]:
    # Kinds register when the apps are ready, after this module is imported.
    return [("", "Choose…"), *((kind.name, kind.plural.capitalize()) for kind in kinds())]


class LegalHoldForm(forms.Form):
    """A hold's name, scope and reason; its scope's value is checked by the service's own rules
    and a refusal is attached to the field it is about."""

    name = forms.CharField(max_length=255)
    scope = forms.ChoiceField(
        choices=list(SCOPE_LABELS.items()), widget=forms.RadioSelect, initial=Scope.ROOM
    )
    value = forms.CharField(
        max_length=holds.MAX_VALUE_LENGTH,
        required=False,
        label="Room SID, participant identity or call SID",
        help_text="For a room, a participant or a call.",
    )
    product = forms.ChoiceField(choices=_products, required=False, label="Logs of")
    query = forms.CharField(
        max_length=2000,
        required=False,
        label="Logs filter",
        help_text="For a filter: the query of a Logs page, or its whole URL pasted "
        "(e.g. date_from=2026-01-01T00:00&date_to=2026-02-01T00:00).",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_query(self) -> str:
        # A pasted Logs URL carries the filter after its "?".
        query = self.cleaned_data["query"].strip()
        return urlsplit(query).query if "?" in query else query

    def clean(self) -> dict:
        data = super().clean() or {}
        if self.errors:
            return data
        scope = data["scope"]
        try:
            holds.hold_selections(
                scope=scope, value=data["value"], product=data["product"], query=data["query"]
            )
        except holds.InvalidHold as exc:
            self.add_error(self.field_at_fault(scope, data["product"]), exc.message)
        return data

    @staticmethod
    def field_at_fault(scope: str, product: str) -> str:
        """Return the field a refused hold of this scope is about."""
        if scope != Scope.FILTER:
            return "value"
        return "query" if product else "product"
