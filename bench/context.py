"""What every case needs: the server, the tenant and its credentials, and how hard to measure."""

import base64
from dataclasses import dataclass, replace
from pathlib import Path

from bench.client import Server
from bench.data import Tenant


@dataclass(frozen=True)
class Effort:
    """Requests per case; the smoke run takes few, and checks every answer instead."""

    requests: int = 300
    warmup: int = 30
    wrk_seconds: int = 5
    smoke: bool = False

    @classmethod
    def smoke_run(cls) -> "Effort":
        return cls(requests=8, warmup=2, wrk_seconds=1, smoke=True)

    def chart_point(self) -> "Effort":
        """Return the effort for a size that only draws a point of the chart (1k, 10k…)."""
        return self if self.smoke else replace(self, requests=100, warmup=20)


@dataclass
class Bench:
    server: Server
    tenant: Tenant
    env: dict[str, str]
    effort: Effort
    logs: Path
    gunicorn_pid: int

    @property
    def api_headers(self) -> dict[str, str]:
        """HTTP Basic with the API key (what Twilio recommends servers use)."""
        pair = f"{self.tenant.key_sid}:{self.tenant.key_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    @property
    def account(self):
        from console.models import Account

        return Account.objects.get(sid=self.tenant.account_sid)
