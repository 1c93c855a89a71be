"""How the compositions' refusals read on the Twilio wire (registered when the app is ready)."""

from recordings.compositions.exceptions import HookNameInUse, InvalidComposition, NotComposable
from recordings.twilio_api import errors


def register_errors() -> None:
    errors.register_error(InvalidComposition, code=errors.INVALID_PARAMETER, http_status=400)
    # Twilio answers a request it cannot compose (nothing matches, encrypted tracks) with a 400.
    errors.register_error(NotComposable, code=errors.INVALID_PARAMETER, http_status=400)
    errors.register_error(HookNameInUse, code=errors.INVALID_PARAMETER, http_status=400)
