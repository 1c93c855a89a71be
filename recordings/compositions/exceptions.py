"""Why a composition cannot be made as asked. The API answers 400 naming the parameter."""

from recordings.lifecycle.exceptions import ServiceError


class InvalidComposition(ServiceError):
    """A parameter of a composition (or a hook's template) cannot be accepted."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"Invalid {parameter}: {message}")
        self.parameter = parameter


class NotComposable(ServiceError):
    """The room's recordings cannot make this composition (none selected, or encrypted)."""


class HookNameInUse(ServiceError):
    """Another composition hook of the account has this FriendlyName."""
