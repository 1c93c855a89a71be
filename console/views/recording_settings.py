"""The account's recording defaults."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView

from console import selectors
from console.access import AccountPageMixin, actor_for
from console.roles import Action
from recordings import services


class RecordingSettingsForm(forms.Form):
    record_participants_on_connect = forms.BooleanField(
        label="Record participants on connect for new rooms",
        required=False,
        help_text="Used when a group room is created without RecordParticipantsOnConnect. "
        "Rooms that exist already keep their own rules.",
    )


class RecordingSettingsEdit(AccountPageMixin, FormView):
    action = Action.ADMINISTER
    template_name = "console/team/settings.html"
    form_class = RecordingSettingsForm

    def get_initial(self):
        row = selectors.recording_settings_of(account=self.account)
        return {"record_participants_on_connect": bool(row and row.record_participants_on_connect)}

    def form_valid(self, form):
        services.recording_settings_update(
            account=self.account,
            record_participants_on_connect=form.cleaned_data["record_participants_on_connect"],
            actor=actor_for(self.request),
        )
        messages.success(self.request, "Recording settings saved.")
        return redirect("team:settings")
