"""Media: the ``/Media`` redirect against the trivial view; then, through the signed URL it gives,
time to first byte of a Range request at the end of a 1 GB file and the download throughput,
against a sendfile server (the floor) and ``cat``; and gunicorn's memory while it streams.

The file is written into the local media store under a completed recording's own ``media_key``
(the seeded rows carry the key, not the file) and removed afterwards.
"""

import hashlib
import http.client
import os
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.client import Server, Stats, fetch, sample
from bench.context import Bench
from bench.errors import BenchError
from bench.report import Check, Row, ms, times
from bench.servers import children, rss_kib, sendfile_server_start, stop

MIB = 1024 * 1024
REDIRECT_MAX_EXTRA_MS = 1.0
TTFB_MAX = 10.0
THROUGHPUT_MIN = 0.5
GROWTH_MAX_MB = 100
# Loopback throughput varies by ±30% from one download to the next: keep the best of a few.
DOWNLOADS = 5
RANGE_SAMPLES = 50


def media_file(bench: Bench, size: int) -> tuple[str, Path]:
    """Write ``size`` random bytes as a completed recording's media; return (SID, path)."""
    from django.conf import settings

    from recordings.video import selectors
    from recordings.video.filters import RecordingFilter

    recording = (
        selectors.recording_list(account=bench.account, filter=RecordingFilter(status="completed"))
        .exclude(media_key="")
        .first()
    )
    if recording is None:
        raise BenchError("no completed recording to attach a media file to")
    path = Path(settings.MEDIA_ROOT) / recording.media_key
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(os.urandom(MIB))
    return recording.sid, path


def _ranged(server: Server, path: str, header: str | None) -> tuple[float, float, int, dict, bytes]:
    """GET with an optional Range; return (first byte s, total s, status, headers, body)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers={"Range": header} if header else {})
        resp = conn.getresponse()
        first = resp.read(1)
        first_byte = time.perf_counter() - start
        body = first + resp.read()
        return first_byte, time.perf_counter() - start, resp.status, dict(resp.getheaders()), body
    finally:
        conn.close()


def range_ttfb(server: Server, path: str, file: Path, n: int) -> Stats:
    """Time the first byte of ``Range: bytes=<last MiB>``; check 206 and the exact bytes."""
    size = file.stat().st_size
    first, last = size - MIB, size - 1
    with file.open("rb") as f:
        f.seek(first)
        expected = f.read()
    samples = []
    for _ in range(n + 3):
        ttfb, _total, status, headers, body = _ranged(server, path, f"bytes={first}-{last}")
        if status != 206 or headers.get("Content-Range") != f"bytes {first}-{last}/{size}":
            raise BenchError(f"Range on {path}: {status} {headers.get('Content-Range')}")
        if body != expected:
            raise BenchError(f"Range on {path}: {len(body)} bytes, not the file's last MiB")
        samples.append(ttfb)
    return Stats(samples[3:])


class RssWatch:
    """Sample the summed VmRSS of gunicorn's workers every 20 ms in a thread."""

    def __init__(self, master_pid: int):
        self.pids = children(master_pid)
        self.before = self.total()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def total(self) -> int:
        return sum(rss_kib(pid) for pid in self.pids)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.total())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / 1024


def download(server: Server, path: str, *, digest: bool) -> tuple[float, int, str]:
    """Stream the whole file into a reused buffer; return (seconds, bytes, sha256 or "")."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    buffer = memoryview(bytearray(MIB))
    sha = hashlib.sha256() if digest else None
    received = 0
    try:
        start = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        if resp.status != 200:
            raise BenchError(f"GET {path} answered {resp.status}")
        while count := resp.readinto(buffer):
            received += count
            if sha is not None:
                sha.update(buffer[:count])
        return time.perf_counter() - start, received, sha.hexdigest() if sha else ""
    finally:
        conn.close()


def throughput(server: Server, path: str, file: Path, *, digest: bool) -> float:
    """Return the best MB/s of a few whole downloads, each checked for length (and content)."""
    size = file.stat().st_size
    expected = _sha256(file) if digest else ""
    rates = []
    for _ in range(DOWNLOADS):
        seconds, received, got = download(server, path, digest=digest)
        if received != size or got != expected:
            raise BenchError(f"download of {path}: {received} of {size} bytes, digest {got[:12]}")
        rates.append(size / MIB / seconds)
    return max(rates)


def _sha256(file: Path) -> str:
    sha = hashlib.sha256()
    with file.open("rb") as f:
        while chunk := f.read(MIB):
            sha.update(chunk)
    return sha.hexdigest()


def cat_rate(file: Path) -> float:
    """Return MB/s of ``cat file > /dev/null`` (the page cache's own speed)."""
    started = time.perf_counter()
    subprocess.run(["cat", str(file)], stdout=subprocess.DEVNULL, check=True)
    return file.stat().st_size / MIB / (time.perf_counter() - started)


def run(bench: Bench, *, size: int) -> list[Row]:
    effort = bench.effort
    sid, file = media_file(bench, size)
    floor_process = None
    try:
        redirect_path = f"/v1/Recordings/{sid}/Media"
        first = fetch(bench.server, redirect_path, bench.api_headers)
        location = first.headers.get("location", "")
        if first.status != 302 or not location.startswith(bench.server.base_url + "/media/"):
            raise BenchError(f"GET {redirect_path}: {first.status}, Location {location!r}")
        trivial = sample(bench.server, "/bench/trivial", n=effort.requests, warmup=effort.warmup)
        redirect = sample(
            bench.server,
            redirect_path,
            n=effort.requests,
            warmup=effort.warmup,
            headers=bench.api_headers,
            status=302,
        )
        media_path = urlsplit(location).path
        n_range = RANGE_SAMPLES if not effort.smoke else 5
        ttfb = range_ttfb(bench.server, media_path, file, n_range)
        with RssWatch(bench.gunicorn_pid) as rss:
            rate = throughput(bench.server, media_path, file, digest=effort.smoke)
        floor_process, floor_server = sendfile_server_start(file)
        floor_ttfb = range_ttfb(floor_server, "/file", file, n_range)
        floor_rate = throughput(floor_server, "/file", file, digest=False)
        cat = cat_rate(file)
    finally:
        stop(floor_process)
        file.unlink(missing_ok=True)
    extra = redirect.p50 - trivial.p50
    size_text = f"{size / MIB / 1024:g} GB" if size >= 1024 * MIB else f"{size // MIB} MB"
    return [
        Row(
            group="media",
            case="/Media redirect (302 to a signed URL)",
            figure=f"p50 {ms(redirect.p50)} p99 {ms(redirect.p99)}",
            baseline=f"trivial {ms(trivial.p50)}",
            ratio=f"+{extra:.2f} ms",
            target=f"≤ trivial + {REDIRECT_MAX_EXTRA_MS:g} ms",
            checks=[Check("redirect", extra <= REDIRECT_MAX_EXTRA_MS)],
            data={"redirect": redirect.as_dict(), "trivial": trivial.as_dict()},
        ),
        Row(
            group="media",
            case=f"Range: last MiB of {size_text}, first byte (206, bytes checked)",
            figure=f"p50 {ms(ttfb.p50)}",
            baseline=f"sendfile {ms(floor_ttfb.p50)}",
            ratio=times(ttfb.p50 / floor_ttfb.p50),
            target=f"≤{TTFB_MAX:g}x floor",
            checks=[Check("first byte", ttfb.p50 / floor_ttfb.p50 <= TTFB_MAX)],
            data={"app": ttfb.as_dict(), "sendfile": floor_ttfb.as_dict()},
        ),
        Row(
            group="media",
            case=f"Download {size_text} (best of {DOWNLOADS})",
            figure=f"{rate:,.0f} MB/s",
            baseline=f"sendfile {floor_rate:,.0f} MB/s; cat {cat:,.0f} MB/s",
            ratio=times(rate / floor_rate),
            target=f"≥{THROUGHPUT_MIN:g}x sendfile",
            checks=[Check("throughput", rate / floor_rate >= THROUGHPUT_MIN)],
            data={"app_mb_s": rate, "sendfile_mb_s": floor_rate, "cat_mb_s": cat},
        ),
        Row(
            group="media",
            case="gunicorn workers' RSS growth while streaming",
            figure=f"{rss.growth_mb:.1f} MB",
            baseline=f"{rss.before / 1024:.0f} MB before",
            target=f"<{GROWTH_MAX_MB} MB",
            checks=[Check("memory", rss.growth_mb < GROWTH_MAX_MB)],
            data={"before_kib": rss.before, "peak_kib": rss.peak},
        ),
    ]
