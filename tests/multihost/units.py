"""Read the commands of deploy/'s systemd units, to run them the way systemd would.

The units are written for ``/opt/roomvault``; the test runs them from this checkout, with the
specifiers it uses (``%i`` instance, ``%H`` host name, ``%t`` runtime directory) filled in.
"""

import configparser
import shlex
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
INSTALL_PATH = "/opt/roomvault"


@dataclass(frozen=True)
class UnitCommands:
    """What a unit runs: ``Environment=`` and its ``ExecStartPre=`` then ``ExecStart=``
    command lines."""

    environment: dict[str, str]
    before: list[list[str]]
    start: list[str]


def read_unit(name: str, *, specifiers: dict[str, str]) -> UnitCommands:
    """Parse deploy/<name> and substitute the install path and ``specifiers`` ({"i": "celery"})."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  (keys are case-sensitive)
    parser.read_string((DEPLOY / name).read_text())
    service = parser["Service"]

    def expand(text: str) -> str:
        text = text.replace(INSTALL_PATH, str(REPO))
        for letter, value in specifiers.items():
            text = text.replace(f"%{letter}", value)
        if "%" in text:
            raise ValueError(f"{name}: a specifier the test does not fill in: {text}")
        return text

    environment = dict(
        item.split("=", 1) for item in shlex.split(expand(service.get("Environment", "")))
    )
    before = [shlex.split(expand(service["ExecStartPre"]))] if "ExecStartPre" in service else []
    return UnitCommands(environment, before, shlex.split(expand(service["ExecStart"])))
