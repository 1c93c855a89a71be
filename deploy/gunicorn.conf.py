"""Gunicorn settings of a Roomvault web host (deploy/roomvault-web.service).

Every figure can be changed from the environment file (/etc/roomvault/roomvault.env); the defaults
suit gunicorn behind nginx on the same machine, which buffers slow clients and uploads.
"""

import gc
import os

# Gunicorn executes this file in the master before it loads the application. With preload_app the
# master imports Django once and forks workers from it; the cyclic collector would then touch every
# inherited object's header in each child and un-share the pages fork had shared. The Python docs'
# recipe for fork without exec (gc.freeze): disable collection early in the parent, freeze right
# before fork, enable it in the child. The master itself allocates little after start-up.
gc.disable()


def _cores() -> int:
    return len(os.sched_getaffinity(0))


# The address nginx proxies to; a host's own address where the load balancer talks to gunicorn.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Gunicorn's rule of thumb (2 x cores + 1), capped: past a dozen processes a web host waits on
# PostgreSQL, not on Python, and each process holds its own database connections.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * _cores() + 1, 12)))
# Threads let one process wait on the database, S3 or a long media upload while serving others;
# the worker's heartbeat comes from its main loop, so a long upload is not taken for a hang.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A worker whose main loop is silent this long is wedged (a stuck C call) and is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# On SIGTERM (systemctl stop, a deploy) requests in flight get this long to finish; the unit's
# TimeoutStopSec is longer, so systemd does not cut the graceful stop short.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# nginx keeps upstream connections open (keepalive in its upstream block); 5 s keeps them reused
# between a page and its next requests without holding idle threads for long.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle each worker after this many requests (a slow leak cannot grow without bound); the jitter
# keeps the workers of one host from restarting all at once. Not fewer: a recycle is a fork and a
# cold first request, and at 2,000 a busy worker restarted every second or two (measured with wrk
# on 2 workers: the trivial view fell from 3,400 to 1,770 requests/s, p99 4 → 61-72 ms; at 20,000
# it serves as with no recycling).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 2000))
preload_app = True
# The heartbeat file of each worker lives in memory: a slow or full disk must not stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Only these addresses may set X-Forwarded-Proto/-For (the proxy in front); anyone else's headers
# are ignored. Django's own reading of X-Forwarded-For is TRUSTED_PROXY_COUNT.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# To stderr (the journal), with the request time in milliseconds (%(M)s).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
proc_name = "roomvault-web"


def pre_fork(server, worker):
    """Move everything the master has loaded to the permanent generation, never collected."""
    gc.freeze()


def post_fork(server, worker):
    """Collect again in the worker: only its own new objects are tracked."""
    gc.enable()


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the Prometheus multiprocess files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
