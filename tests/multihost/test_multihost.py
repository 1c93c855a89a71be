"""Roomvault over four hosts (network namespaces): two web hosts, two worker hosts, one vault.

What a tenant does on one host is seen on the other; signed things (page tokens, console
sessions) minted on one host are honoured on the other; and a bulk deletion of 20,000 recordings
finishes exactly while a worker host is killed (kill -9) and a web host is stopped under it. The
console and API traffic of the job goes through the load balancer (deploy/nginx.conf), as a
user's would; the cross-host checks go to each web host directly.
"""

import re
import signal
import threading
import time
from collections.abc import Callable

import pytest
import requests
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from recordings.video.models import Recording
from tests.helpers import form_data
from tests.multihost.cluster import WORKER, Cluster, as_json, cluster_of

pytestmark = pytest.mark.integration

EMAIL, PASSWORD = "ops@multihost.test", "multihost-password-1"
SELECTED = 20_000
# seed_recordings puts 90% of the rows in the account, about 90% of those completed: some hundreds
# of completed recordings beyond the selection survive it, and every other status too.
SEEDED = 25_500
TABLE = Recording._meta.db_table
# The worker's line on receiving the task; its start-up banner lists the task's name too.
TAKES_THE_JOB = re.compile(r"Task recordings\.tasks\.run_bulk_deletion\[[\w-]+\] received")


def _sign_in(browser: requests.Session, url: Callable[[str], str]) -> requests.Session:
    """Sign ``browser`` in on the console at ``url`` (a web host's or the load balancer's)."""
    login = url("/login/")
    page = browser.get(login, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed_in = browser.post(
        login,
        data={"csrfmiddlewaretoken": token, "username": EMAIL, "password": PASSWORD},
        # As a browser does: over HTTPS Django's CSRF check wants the page's own origin.
        headers={"Referer": login},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    return browser


def _cookies_for(browser: requests.Session) -> dict[str, str]:
    # requests keeps cookies per host; a browser behind one load balancer sends them to any host.
    return {cookie.name: cookie.value for cookie in browser.cookies}


class PollingClient(threading.Thread):
    """A client without retry polling the job's progress page and a recordings list: each through
    the load balancer ("lb"), and, for contrast, straight to web1 and web2 in turn. It notes each
    request's time, target and whether it failed."""

    def __init__(self, cluster: Cluster, cookies: dict, api_auth: tuple, progress_path: str):
        super().__init__(daemon=True)
        self.cluster, self.cookies, self.auth, self.path = cluster, cookies, api_auth, progress_path
        self.stop = threading.Event()
        self.requests: list[tuple[float, str, bool]] = []

    def run(self) -> None:
        deadline = time.monotonic() + 240
        turn = 0
        with self.cluster.lb.session() as through_lb, requests.Session() as direct:
            # No keep-alive straight to a web host: each request finds out whether it is up.
            direct.headers["Connection"] = "close"
            while not self.stop.is_set() and time.monotonic() < deadline:
                host = ("web1", "web2")[turn % 2]
                for path, credentials in (
                    (self.path, {"cookies": self.cookies}),
                    ("/v1/Recordings?PageSize=50", {"auth": self.auth}),
                ):
                    self._get("lb", through_lb, self.cluster.lb.url(path), credentials)
                    self._get(host, direct, self.cluster.hosts[host].url(path), credentials)
                turn += 1
                time.sleep(0.05)

    def _get(self, target: str, client: requests.Session, url: str, credentials: dict) -> None:
        try:
            ok = client.get(url, timeout=5, **credentials).status_code == 200
        except requests.RequestException:
            ok = False
        self.requests.append((time.monotonic(), target, ok))


def _job(cluster: Cluster, job_id: int) -> dict:
    (row,) = cluster.sql(
        "SELECT status, total, processed, done, failed, skipped, restarts "
        "FROM recordings_bulkdeletion WHERE id = %s",
        job_id,
    )
    names = ("status", "total", "processed", "done", "failed", "skipped", "restarts")
    return dict(zip(names, row, strict=True))


def _wait(predicate, seconds: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_four_hosts_share_one_vault_and_a_bulk_deletion_survives_losing_two(
    broker, tmp_path, figures
):
    began = time.monotonic()
    with cluster_of(broker, tmp_path) as cluster:
        figures["hosts_ready_seconds"] = round(time.monotonic() - began, 1)
        web1, web2 = cluster.hosts["web1"], cluster.hosts["web2"]

        # 1. Created on one host, seen on the other.
        account = as_json(web1.manage("create_account", "--name", "Multihost", "--json"))
        sid = account["account_sid"]
        web1.manage(
            "add_member", "--account", sid, "--email", EMAIL, "--password", PASSWORD,
            "--role", "admin", "--json",
        )  # fmt: skip
        api = requests.Session()
        api.auth = (sid, account["auth_token"])
        hook = api.post(
            web1.url("/v1/CompositionHooks"),
            data={"FriendlyName": "multihost-hook", "AudioSources": "*", "Enabled": "false"},
            timeout=10,
        )
        assert hook.status_code == 201, hook.text
        hooks = api.get(web2.url("/v1/CompositionHooks"), timeout=10).json()["composition_hooks"]
        assert [h["sid"] for h in hooks] == [hook.json()["sid"]]
        room = as_json(
            web2.manage("simulate_room", "--account", sid, "--participants", "2", "--json")
        )
        listed = api.get(
            web1.url(f"/v1/Recordings?GroupingSid={room['room_sid']}"), timeout=10
        ).json()["recordings"]
        assert sorted(r["sid"] for r in listed) == sorted(room["recording_sids"])

        # 3 (set-up). 20,000 completed recordings with media, and more that must survive.
        seeded_at = time.monotonic()
        web1.manage("seed_recordings", "--account", sid, "--count", str(SEEDED), "--seed", "17")
        completed = cluster.sql(
            f"SELECT sid, media_key, date_created FROM {TABLE} "
            "WHERE account_id = %s AND status = 'completed' ORDER BY date_created, sid",
            sid,
        )
        selected, survivors = completed[:SELECTED], completed[SELECTED:]
        assert len(survivors) > 200 and selected[-1][2] < survivors[0][2]
        cutoff = survivors[0][2].isoformat()
        # Straight into moto's in-process backend (the server's own store): 20,000 PUTs over HTTP
        # would take a minute of this machine's time.
        backend = get_backend("s3")[DEFAULT_ACCOUNT_ID]["global"]
        for _, key, _ in completed:
            backend.put_object(cluster.bucket, key, b"matroska")
        figures["seed_seconds"] = round(time.monotonic() - seeded_at, 1)
        others_before = cluster.sql(
            f"SELECT status, count(*) FROM {TABLE} WHERE status <> 'completed' "
            "OR account_id <> %s GROUP BY status ORDER BY status",
            sid,
        )

        # 2. A page token minted on web1 is read on web2; a console session too.
        first = api.get(web1.url("/v1/Recordings?PageSize=50"), timeout=10).json()
        next_url = first["meta"]["next_page_url"]
        assert next_url.startswith(web1.url("/v1/Recordings?"))
        on_web1 = api.get(next_url, timeout=10).json()
        on_web2 = api.get(next_url.replace(web1.address, web2.address), timeout=10).json()
        page = [r["sid"] for r in on_web2["recordings"]]
        assert page == [r["sid"] for r in on_web1["recordings"]] and len(page) == 50
        assert set(page).isdisjoint(r["sid"] for r in first["recordings"])
        web1_console = _cookies_for(_sign_in(requests.Session(), web1.url))
        logs = requests.get(web2.url("/recordings/"), cookies=web1_console, allow_redirects=False)
        assert logs.status_code == 200, logs.headers.get("Location")

        # 3. The bulk deletion, confirmed on the console through the load balancer by typing its
        # count.
        lb = cluster.lb
        browser = _sign_in(lb.session(), lb.url)
        cookies = _cookies_for(browser)
        query = f"status=completed&date_to={requests.utils.quote(cutoff)}"
        csrf = {"X-CSRFToken": cookies["csrftoken"], "Referer": lb.url("/recordings/")}
        confirm = browser.post(
            lb.url("/recordings/bulk/select/"), data={"all": "1", "query": query}, headers=csrf
        )
        assert confirm.status_code == 200
        assert f"This deletes <strong>{SELECTED}</strong>" in confirm.text
        form = form_data(confirm.text, "/recordings/bulk/create/")
        form["count"] = [str(SELECTED)]
        created = browser.post(
            lb.url("/recordings/bulk/create/"), data=form, headers=csrf, allow_redirects=False
        )
        assert created.status_code == 302, created.text[:1000]
        progress_path = created.headers["Location"]
        job_id = int(progress_path.rstrip("/").rsplit("/", 1)[1])
        client = PollingClient(cluster, cookies, api.auth, progress_path)
        client.start()
        # One task runs the whole job (BULK_DELETE_TASK_SECONDS): the host that received it is
        # the one to kill.
        victim = _wait(
            lambda: next(
                (
                    name
                    for name in ("work1", "work2")
                    if TAKES_THE_JOB.search(cluster.hosts[name].log(WORKER))
                ),
                None,
            ),
            30,
            "a worker host takes the job",
        )
        figures["killed_host"] = victim
        at_kill = _wait(
            lambda: (job := _job(cluster, job_id))["processed"] >= SELECTED * 0.2 and job,
            60,
            "20% done",
            interval=0.02,
        )
        assert at_kill["processed"] <= SELECTED * 0.6, "the job ran past 60% before the kill"
        cluster.hosts[victim].signal_group(WORKER, signal.SIGKILL)
        killed_at = time.monotonic()
        processed_at_kill = _job(cluster, job_id)["processed"]
        web1.processes["roomvault-web.service"].send_signal(signal.SIGTERM)  # KillMode=mixed
        web1_stopped_at = time.monotonic()
        _wait(
            lambda: _job(cluster, job_id)["processed"] > processed_at_kill,
            150,
            "progress after the kill",
        )
        figures["seconds_from_kill_to_progress"] = round(time.monotonic() - killed_at, 1)
        job = _wait(
            lambda: (job := _job(cluster, job_id))["status"] != "running" and job, 120, "job ends"
        )
        figures["percent_at_kill"] = round(100 * processed_at_kill / SELECTED)
        figures["jobs_requeued"] = job["restarts"]
        assert (job["status"], job["total"], job["done"], job["failed"]) == (
            "done", SELECTED, SELECTED, 0,
        )  # fmt: skip

        # Every deleted recording's media goes; nothing is half-deleted.
        _wait(
            lambda: (
                not cluster.sql(
                    f"SELECT 1 FROM {TABLE} WHERE status = 'deleted' AND media_key <> '' LIMIT 1"
                )
            ),
            120,
            "media of every deleted recording removed",
            interval=0.5,
        )
        client.stop.set()
        client.join()
        figures["job_seconds"] = round(time.monotonic() - killed_at, 1)
        keys = cluster.bucket_keys(prefix=f"{sid}/")
        assert not keys & {key for _, key, _ in selected}
        assert {key for _, key, _ in survivors} <= keys
        rows = cluster.sql(
            f"SELECT status, date_deleted IS NOT NULL, media_key = '', count(*) FROM {TABLE} "
            "WHERE account_id = %s AND sid = ANY(%s) GROUP BY 1, 2, 3",
            sid,
            [s for s, _, _ in selected],
        )
        assert rows == [("deleted", True, True, SELECTED)]
        assert cluster.sql(
            f"SELECT count(*) FROM {TABLE} WHERE (status = 'deleted') <> (date_deleted IS NOT NULL)"
        ) == [(0,)]
        assert cluster.sql(
            f"SELECT count(*) FROM {TABLE} WHERE account_id = %s AND status = 'completed'", sid
        ) == [(len(survivors),)]
        assert cluster.sql(
            f"SELECT status, count(*) FROM {TABLE} WHERE status <> 'completed' "
            "OR account_id <> %s GROUP BY status ORDER BY status",
            sid,
        ) == [
            (status, count + (SELECTED if status == "deleted" else 0))
            for status, count in others_before
        ]

        # What a client without retry saw: through the load balancer, nothing of web1's stop (it
        # skips a host that refuses, and tries a GET again on the other); straight to web1, every
        # request after it.
        def seen(target: str) -> list[bool]:
            return [ok for at, to, ok in client.requests if to == target and at >= web1_stopped_at]

        figures["lb_requests_while_web1_down"] = len(seen("lb"))
        figures["lb_failed_while_web1_down"] = seen("lb").count(False)
        figures["direct_web1_requests_while_down"] = len(seen("web1"))
        figures["direct_web1_failed_while_down"] = seen("web1").count(False)
        assert figures["lb_failed_while_web1_down"] == 0
        assert all(ok for _, to, ok in client.requests if to in ("lb", "web2"))
    figures["run_seconds"] = round(time.monotonic() - began, 1)
