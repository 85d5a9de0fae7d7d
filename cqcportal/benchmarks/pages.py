"""Pages at national scale: throughput and latency of seven pages, each beside the trivial view in the same run.

The portal runs under gunicorn on loopback with its production settings, on the database DATABASE_URL names (the
national register that ``seed_national`` builds). wrk (from Debian) drives it with 16 connections, a closed loop
of 16 users who each send their next request when the last is answered. Each request goes to a target drawn at
random from the page's targets: many locations, many searches, many signed-in people each on their own records,
so the database and the caches see national-scale variety rather than one hot row.

For every page the trivial view (``/health/``: no database, the portal's whole middleware) is driven for the same
time just before, by the same visitors with the same cookies, and the page's throughput is reported as a ratio to
it. Both ratios are recorded: to the trivial view for the same visitors (signed in, for the signed-in pages), and
to the trivial view for anonymous visitors.

Every target is fetched once first and must answer 200 with its own content (not a redirect to sign in); wrk's
Lua script counts every answer that is not a 200, and the run fails if there is one.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.module_loading import import_string

PAGES = [
    "public_profile",
    "how_rated",
    "register_search",
    "inspector_caseload",
    "provider_dashboard",
    "assessment_workspace",
    "draft_report",
]
TRIVIAL = "/health/"
LUA_DONE_MARK = "BENCH-RESULT "


@dataclass(frozen=True)
class Target:
    path: str
    cookie: str  # the session cookie's value; empty for an anonymous visitor
    marker: str  # text the page must contain


# --- choosing what to request -----------------------------------------------------------------------------------------


def _session_for(user) -> str:
    """A signed-in session for ``user``, second factor done (as after the sign-in pages); returns its key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cqcportal.accounts.session import ACTIVITY_SESSION_KEY, idle_seconds
    from cqcportal.accounts.two_factor import VERIFIED_SESSION_KEY

    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "cqcportal.accounts.backends.EmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.is_regulator_staff:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="Benchmark", confirmed=True
        )
        store[VERIFIED_SESSION_KEY] = device.persistent_id
    store[ACTIVITY_SESSION_KEY] = int(time.time())
    store.set_expiry(idle_seconds())
    store.create()
    return store.session_key


def choose_targets(*, per_page: int, seed: int = 2026) -> dict[str, list[Target]]:
    """Targets for every page, drawn from the database with a fixed seed (so runs are comparable)."""
    from assessments.models import Assessment, AssessmentState
    from cqcportal.accounts.models import REGISTERED_PERSON_ROLES, ProviderRole, StaffRole, User
    from cqcportal.register.models import Location, PublishedRating, Region
    from factual_accuracy.models import Comment, Report, ReportState

    rng = random.Random(seed)  # noqa: S311 - a repeatable sample, not a secret

    def sample(ids: list, n: int = per_page) -> list:
        return rng.sample(ids, min(n, len(ids)))

    sessions: dict[int, str] = {}

    def cookie(user) -> str:
        if user.pk not in sessions:
            sessions[user.pk] = _session_for(user)
        return sessions[user.pk]

    rated = list(
        Location.objects.filter(registration_status="registered")
        .filter(Exists(PublishedRating.objects.filter(location=OuterRef("pk"), is_current=True)))
        .values_list("cqc_id", "name")
    )
    published = list(
        Location.objects.filter(
            Exists(Report.objects.filter(location=OuterRef("pk"), state=ReportState.PUBLISHED))
        ).values_list("cqc_id", "name")
    )
    names = [name for _, name in sample(rated, per_page * 4)]
    postcodes = list(
        Location.objects.filter(registration_status="registered").values_list("postcode", flat=True)[:5000]
    )
    searches = []
    for i in range(per_page):
        kind = i % 4
        if kind == 0:  # a word of a name, as people type it
            word = max(names[i].split(), key=len)
            searches.append((f"/register/?text={word}", ""))
        elif kind == 1:  # a postcode district
            searches.append((f"/register/?postcode={rng.choice(postcodes).split()[0]}", ""))
        elif kind == 2:  # a region
            region = rng.choice([r for r in Region if r != Region.UNSPECIFIED])
            searches.append((f"/register/?region={region.value.replace(' ', '+').replace('&', '%26')}", ""))
        else:  # a name within a region
            word = max(names[i].split(), key=len)
            searches.append((f"/register/?text={word}&region=London", ""))

    inspectors = list(
        User.objects.filter(kind=User.Kind.STAFF, is_active=True, groups__name=str(StaffRole.INSPECTOR))
        .annotate(led=Count("assessments_led"))
        .filter(led__gt=0)
        .order_by("-led")[: per_page // 2]
    )
    managers = list(
        User.objects.filter(
            is_active=True, membership__role__in=[ProviderRole.REGISTERED_MANAGER, ProviderRole.NOMINATED_INDIVIDUAL]
        ).values_list("pk", flat=True)
    )
    managers = list(User.objects.filter(pk__in=sample(managers)))
    in_progress = list(
        Assessment.objects.filter(state=AssessmentState.IN_PROGRESS).select_related("lead", "location").order_by("pk")
    )
    in_progress = sample(in_progress)
    checked = list(
        Report.objects.filter(state=ReportState.OUT_FOR_FACTUAL_ACCURACY)
        .filter(Exists(Comment.objects.filter(report=OuterRef("pk"))))
        .select_related("location")
        .order_by("pk")
    )
    checked = sample(checked)
    reviewers = {}
    for report in checked:
        person = (
            User.objects.filter(
                is_active=True,
                membership__provider_id=report.location.provider_id,
                membership__role__in=REGISTERED_PERSON_ROLES,
            )
            .order_by("pk")
            .first()
        )
        if person is not None:
            reviewers[report.pk] = person

    return {
        "public_profile": [Target(f"/location/{cqc_id}/", "", name) for cqc_id, name in sample(rated)],
        "how_rated": [
            Target(f"/location/{cqc_id}/how-this-rating-was-reached/", "", name) for cqc_id, name in sample(published)
        ],
        "register_search": [Target(path, "", "results-heading") for path, _ in searches],
        "inspector_caseload": [Target("/assessments/", cookie(user), user.full_name) for user in inspectors],
        "provider_dashboard": [Target("/dashboard/", cookie(user), user.full_name) for user in managers],
        "assessment_workspace": [Target(f"/assessments/{a.pk}/", cookie(a.lead), a.location.name) for a in in_progress],
        "draft_report": [
            Target(f"/reports/{report.pk}/", cookie(reviewers[report.pk]), report.location.name)
            for report in checked
            if report.pk in reviewers
        ],
    }


# --- the server -------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BENCH_CACHE_DB = 3  # the benchmark's own Redis database, emptied before each server starts


def _cache_url() -> str:
    base = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
    if not base.startswith("redis://"):
        raise RuntimeError('The page benchmark needs Redis for the cache: eval "$(bash scripts/services.sh env)"')
    return base.rsplit("/", 1)[0] + f"/{BENCH_CACHE_DB}"


def server_environment(port: int, *, public_cache: bool) -> dict:
    """Production settings (DEBUG off), with what a production start needs given for loopback."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "CQC_TESTING", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cqcportal.settings",
            # The sessions made here are signed with this key, so the server must share it.
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "memory://localhost/"),
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": "consolemail://",
            "DEFAULT_FROM_EMAIL": "benchmark@portal.invalid",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            "CACHE_URL": _cache_url(),
            "PUBLIC_PAGE_CACHE_SECONDS": "600" if public_cache else "0",
        }
    )
    return env


@contextlib.contextmanager
def gunicorn(*, workers: int, log: Path, public_cache: bool = True) -> Iterator[int]:
    """The portal under gunicorn on a free loopback port, with production settings; yields the port."""
    import redis

    port = _free_port()
    env = server_environment(port, public_cache=public_cache)
    redis.Redis.from_url(env["CACHE_URL"]).flushdb()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "cqcportal.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync"),
                *("--backlog", "256", "--log-level", "warning"),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(port, TRIVIAL, "")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log}")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _get(port: int, path: str, cookie: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body


def check_targets(port: int, targets: dict[str, list[Target]]) -> dict[str, float]:
    """Fetch every target once (this also warms the server): each must be a 200 with its marker. Returns the mean
    seconds per request of each page, as one visitor alone sees it."""
    from django.utils.html import escape

    alone = {}
    for page, items in targets.items():
        if not items:
            raise RuntimeError(f"no targets for {page}: does the database hold the national register?")
        started = time.perf_counter()
        for target in items:
            status, body = _get(port, target.path, target.cookie)
            if status != 200 or (target.marker not in body and escape(target.marker) not in body):
                raise RuntimeError(f"{page}: {target.path} answered {status} without {target.marker!r}")
        alone[page] = (time.perf_counter() - started) / len(items)
    return alone


# --- wrk --------------------------------------------------------------------------------------------------------------

_LUA = """
local targets = %(targets)s
bad = 0  -- globals: done() reads them from each thread
hits = 0
math.randomseed(%(seed)d)
function setup(thread) table.insert(threads, thread) end
threads = {}
function request()
  local t = targets[math.random(#targets)]
  local headers = {["Host"] = "127.0.0.1", ["X-Forwarded-Proto"] = "https"}
  if t[2] ~= "" then headers["Cookie"] = "sessionid=" .. t[2] end
  return wrk.format("GET", t[1], headers)
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  if headers["X-Cache"] == "hit" then hits = hits + 1 end
end
function done(summary, latency, requests)
  local not_ok, cached = 0, 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("bad")
    cached = cached + thread:get("hits")
  end
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "errors": %%d, "not_200": %%d, "cache_hits": %%d, '
    .. '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "mean_us": %%f}\\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    not_ok, cached, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def _lua_targets(targets: list[tuple[str, str]]) -> str:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ", ".join(f"{{{quote(path)}, {quote(cookie)}}}" for path, cookie in targets) + "}"


def wrk(port: int, targets: list[tuple[str, str]], *, seconds: int, users: int, threads: int = 2) -> dict:
    """Drive ``targets`` (path, cookie) for ``seconds`` with ``users`` connections; the figures wrk measured."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lua = _LUA % {"targets": _lua_targets(targets), "seed": secrets.randbelow(2**31), "mark": LUA_DONE_MARK}
        script.write(lua)
    try:
        out = subprocess.run(
            [
                shutil.which("wrk") or "wrk",
                *("-t", str(threads), "-c", str(users), "-d", f"{seconds}s", "--timeout", "30s"),
                *("-s", script.name, f"http://127.0.0.1:{port}"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith(LUA_DONE_MARK))
    figures = json.loads(line[len(LUA_DONE_MARK) :])
    if figures["errors"] or figures["not_200"]:
        raise RuntimeError(f"wrk saw {figures['errors']} socket errors and {figures['not_200']} answers not 200")
    seconds_measured = figures["duration_us"] / 1e6
    return {
        "requests": figures["requests"],
        "seconds": round(seconds_measured, 2),
        "rps": figures["requests"] / seconds_measured,
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "cache_hits": figures["cache_hits"],
    }


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_seconds(pid: str) -> tuple[str, str, float] | None:
    """A process's command line, start time and the CPU seconds it has used (user and system), from /proc; None if
    it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return command, fields[19], (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def cpu_snapshot(port: int) -> dict:
    """The CPU seconds used so far by each process of the portal's server on ``port`` (gunicorn's master and workers)
    and of PostgreSQL (every postgres process: the portal's connections and the server's own work), and by the load
    client (wrk, which has finished by then, as this process's children). Linux only (/proc); elsewhere, none."""
    import resource

    processes: dict[tuple[str, str, str], float] = {}
    if os.path.isdir("/proc"):
        bind = f" 127.0.0.1:{port} "  # an argument of its own (gunicorn --bind ADDRESS), so :80 is not :8000
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            found = _process_seconds(pid)
            if found is None:
                continue
            command, started, used = found
            if "gunicorn" in command and bind in command:
                processes["server", pid, started] = used
            elif command.startswith("postgres"):
                processes["database", pid, started] = used
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"processes": processes, "load_client": children.ru_utime + children.ru_stime}


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """The CPU seconds the server, PostgreSQL and the load client used between two snapshots. A process that started
    in between counts in full; one that ended in between (a connection closed, an autovacuum worker done) cannot be
    read any more and counts nothing, so the figures can only be short, never negative."""
    used = {"server": 0.0, "database": 0.0, "load_client": after["load_client"] - before["load_client"]}
    for key, seconds in after["processes"].items():
        used[key[0]] += seconds - before["processes"].get(key, 0.0)
    return used


def _driven(port: int, targets: list[tuple[str, str]], *, seconds: int, users: int) -> dict:
    """``wrk``'s figures, with the CPU milliseconds each request cost the server, PostgreSQL and wrk."""
    before = cpu_snapshot(port)
    figures = wrk(port, targets, seconds=seconds, users=users)
    used = cpu_used(before, cpu_snapshot(port))
    requests = max(1, figures["requests"])
    figures["cpu_ms"] = {part: round(seconds * 1000 / requests, 3) for part, seconds in used.items()}
    return figures


def _measure(port: int, pages: list[str], targets: dict, *, seconds: int, users: int, rounds: int, log, label: str):
    """Each page beside the trivial view for the same visitors, ``rounds`` times over; the runs by page, and the
    anonymous trivial view's runs."""
    runs: dict[str, list] = {page: [] for page in pages}
    anonymous = []
    for round_number in range(rounds):
        for page in pages:
            pairs = [(t.path, t.cookie) for t in targets[page]]
            wrk(port, pairs, seconds=3, users=users)  # warm: every worker has run the page
            trivial = _driven(port, [(TRIVIAL, cookie) for _, cookie in pairs], seconds=seconds, users=users)
            measured = _driven(port, pairs, seconds=seconds, users=users)
            runs[page].append({"trivial": trivial, "page": measured})
            log(
                f"{label} round {round_number + 1} {page:22} {measured['rps']:7.1f} req/s "
                f"(p50 {measured['p50_ms']:6.1f} ms, p95 {measured['p95_ms']:6.1f} ms, "
                f"{measured['cache_hits'] / max(1, measured['requests']):4.0%} from the cache) beside the trivial "
                f"view's {trivial['rps']:7.1f} req/s: ratio {measured['rps'] / trivial['rps']:.3f}; CPU ms a request "
                f"{_cpu_text(measured['cpu_ms'])} (trivial view {_cpu_text(trivial['cpu_ms'])})"
            )
        anonymous.append(wrk(port, [(TRIVIAL, "")], seconds=seconds, users=users))
    return runs, anonymous


def _cpu_text(cpu_ms: dict) -> str:
    return ", ".join(f"{part.replace('_', ' ')} {ms:.2f}" for part, ms in cpu_ms.items())


def _cpu_per_request(runs: list[dict], part: str) -> dict[str, float]:
    """CPU ms a request, by process, over all rounds (each round's weighted by its requests)."""
    requests = sum(r[part]["requests"] for r in runs)
    parts = runs[0][part]["cpu_ms"]
    return {
        name: round(sum(r[part]["cpu_ms"][name] * r[part]["requests"] for r in runs) / requests, 2) for name in parts
    }


def _rate(runs: list[dict], part: str) -> float:
    return sum(r[part]["requests"] for r in runs) / sum(r[part]["seconds"] for r in runs)


def _summary(runs: list[dict], anonymous_rps: float) -> dict:
    rps, trivial_rps = _rate(runs, "page"), _rate(runs, "trivial")
    requests = sum(r["page"]["requests"] for r in runs)
    return {
        "rps": round(rps, 1),
        # The worst round's percentiles: a page meets the latency target only if every round does.
        "p50_ms": round(max(r["page"]["p50_ms"] for r in runs), 1),
        "p95_ms": round(max(r["page"]["p95_ms"] for r in runs), 1),
        "ratio": round(rps / trivial_rps, 3),
        "trivial_rps": round(trivial_rps, 1),
        "ratio_to_anonymous_trivial": round(rps / anonymous_rps, 3),
        "cache_hit_share": round(sum(r["page"]["cache_hits"] for r in runs) / requests, 3),
        # Where a request's CPU went (the machine has two cores to share among all three), page and trivial view.
        "cpu_ms": _cpu_per_request(runs, "page"),
        "trivial_cpu_ms": _cpu_per_request(runs, "trivial"),
        "runs": runs,
    }


def run(
    *, seconds: int, users: int, workers: int, rounds: int, per_page: int, pages: list[str] | None = None, log=print
) -> dict:
    """Every page beside the trivial view, ``rounds`` times over, as production runs it (public pages cached for
    anonymous visitors); then the public pages again with that cache off. The figures for the report."""
    started = timezone.now()
    targets = choose_targets(per_page=per_page)
    pages = pages or PAGES
    with tempfile.TemporaryDirectory() as tmp:
        with gunicorn(workers=workers, log=Path(tmp) / "gunicorn.log") as port:
            alone = check_targets(port, {page: targets[page] for page in pages})
            log(
                "every target answered 200 with its content; one visitor alone: "
                + ", ".join(f"{page} {ms * 1000:.1f} ms" for page, ms in alone.items())
            )
            runs, anonymous = _measure(
                port, pages, targets, seconds=seconds, users=users, rounds=rounds, log=log, label="production"
            )
        public = [page for page in pages if not targets[page][0].cookie]
        uncached_runs, uncached_anonymous = {}, []
        if public:
            with gunicorn(workers=workers, log=Path(tmp) / "gunicorn-uncached.log", public_cache=False) as port:
                check_targets(port, {page: targets[page] for page in public})
                uncached_runs, uncached_anonymous = _measure(
                    port, public, targets, seconds=seconds, users=users, rounds=rounds, log=log, label="no cache"
                )
    anonymous_rps = sum(r["requests"] for r in anonymous) / sum(r["seconds"] for r in anonymous)
    summary = {}
    for page in pages:
        summary[page] = {
            **_summary(runs[page], anonymous_rps),
            "one_visitor_alone_ms": round(alone[page] * 1000, 1),
            "targets": len(targets[page]),
            "signed_in": bool(targets[page][0].cookie),
        }
        if page in uncached_runs:
            rate = sum(r["requests"] for r in uncached_anonymous) / sum(r["seconds"] for r in uncached_anonymous)
            summary[page]["without_public_cache"] = _summary(uncached_runs[page], rate)
    return {
        "started_at": started.isoformat(),
        "seconds_per_run": seconds,
        "users": users,
        "gunicorn_workers": workers,
        "rounds": rounds,
        "anonymous_trivial_rps": round(anonymous_rps, 1),
        "pages": summary,
    }
