"""Every operation of our own OpenAPI schema (``/api/schema/``), fuzzed by schemathesis against a
live server as a real account: whatever is sent, the answer is never a 5xx.

Deterministic and bounded so that it runs in ``make test`` and the integration run alike: a fixed
seed (``derandomize``, schemathesis's ``deterministic``), no example database, a few examples per
operation, values outside the schema as well as inside it. Path parameters are
sometimes the SIDs of seeded rooms, participants, tracks, recordings, calls and conferences (so
the fuzzing reaches past the 404 of an unknown SID) and sometimes what schemathesis made up.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from console import services as console_services
from recordings.voice import services as voice_services
from tests.helpers import basic_auth
from tests.security.test_small_findings import T0, recorded_call

# Per operation, besides schemathesis's own boundary cases: 54 operations take about a minute on
# two busy cores.
MAX_EXAMPLES = 10


@pytest.fixture
def seeded(account, make_completed_recording) -> dict[str, str]:
    """Seed one of everything the API addresses by SID; return the SID each path parameter of
    our schema may take, by the parameter's name (and for ``sid``, by the API it is under)."""
    video = make_completed_recording()
    voice = recorded_call(account)
    conference = voice_services.conference_start(account=account, friendly_name="board", at=T0)
    return {
        "account_sid": account.sid,
        "room_sid": video.room_id,
        "room": video.room_id,
        "participant": video.participant_id,
        "track": video.track_id,
        "call_sid": voice.call_id,
        "call": voice.call_id,
        "conference_sid": conference.sid,
        "conference": conference.sid,
        "recording_sid": voice.sid,
        "video_sid": video.sid,
        "voice_sid": voice.sid,
    }


@pytest.fixture
def ingest_key(account):
    return console_services.api_key_create(
        account=account, friendly_name="media server", scope="ingest"
    )


# Read from the URL clients read it from, through the WSGI application (no database is involved);
# the cases are then sent over HTTP to a live server. (Loading it from a fixture instead is
# broken with pytest 9 in schemathesis 4.)
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    get_wsgi_application(),
    # Values outside the schema too (negative mode): bad input must be a 4xx, never a 5xx.
    config=SchemathesisConfig.from_str(
        'seed = 20260101\n[generation]\nmode = "all"\ndeterministic = true\ndatabase = "none"\n'
    ),
)


def use_seeded_sids(case, seeded: dict[str, str]) -> None:
    """Point the case at seeded rows: always our own account, and every other SID half of the
    time (chosen from the generated value, so the choice is as deterministic as the value)."""
    for name, value in (case.path_parameters or {}).items():
        voice = case.path.startswith("/2010-04-01/") or "/VoiceRecordings/" in case.path
        sid = seeded.get(name) or seeded[("voice" if voice else "video") + "_sid"]
        if name == "account_sid" or len(str(value)) % 2 == 0:
            case.path_parameters[name] = sid


def credentials(case, account, ingest_key) -> dict[str, str]:
    """Return the Authorization header of the caller each API expects: the media server's API
    key for ingest, the account's auth token elsewhere."""
    if case.path.startswith("/ingest/"):
        return {"Authorization": basic_auth(ingest_key.key.sid, ingest_key.secret)}
    return {"Authorization": basic_auth(account.sid, account.auth_token)}


@schema.parametrize()
@settings(
    derandomize=True,
    database=None,
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, live_server, account, ingest_key, seeded):
    use_seeded_sids(case, seeded)
    case.call_and_validate(
        base_url=live_server.url,
        headers=credentials(case, account, ingest_key),
        checks=[not_a_server_error],
    )
