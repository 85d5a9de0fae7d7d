"""The embedded default, as ``make run`` serves it: the demo on SQLite, each role's main pages answering.

The rest of the suite runs on PostgreSQL, where some reads use what SQLite lacks (arrays, ``= ANY``); this test
builds the demo in a SQLite file in a process of its own and opens the pages a visitor of each kind would.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PAGES = r"""
import re
import django
django.setup()
from django.test import Client
from cqcportal.accounts.models import User

def visit(client, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()

seen = []
anyone = Client()
for path in ("/", "/register/?text=care", "/health/"):
    visit(anyone, path); seen.append(path)
profile = re.search(r'href="(/location/[^"]+/)"', visit(anyone, "/register/?text=care")).group(1)
visit(anyone, profile); seen.append(profile)

inspector = Client()
staff = User.objects.get(email="inspector@regulator.example")
inspector.force_login(staff)
# The second factor done, as after the sign-in pages (the demo's staff have a confirmed authenticator).
from django_otp.plugins.otp_totp.models import TOTPDevice
from cqcportal.accounts.two_factor import VERIFIED_SESSION_KEY
session = inspector.session
session[VERIFIED_SESSION_KEY] = TOTPDevice.objects.get(user=staff, confirmed=True).persistent_id
session.save()
caseload = visit(inspector, "/assessments/"); seen.append("/assessments/")
workspaces = sorted(set(re.findall(r'href="(/assessments/\d+/)"', caseload)))
assert workspaces, "the inspector's caseload lists no assessments"
# The caseload's page is SQL written for both databases (assessments.selectors._caseload_page_sql): on SQLite too its
# rows come in the assessments table's order, with dates and flags as Python's, whatever page is asked for.
import datetime
from assessments import selectors
expected = list(selectors.caseload_for(staff).values_list("pk", flat=True))
page = selectors.caseload_page(staff, per_page=2)
assert page.paginator.count == len(expected) >= 3, (page.paginator.count, expected)
assert [row.pk for row in page.object_list] == expected[:2]
last = selectors.caseload_page(staff, page_number="0", per_page=2)
assert last.number == page.paginator.num_pages
assert [row.pk for row in last.object_list] == expected[(last.number - 1) * 2 :]
rows = selectors.caseload_page(staff, per_page=50).object_list
assert [row.pk for row in rows] == expected
assert all(isinstance(row.announced, bool) for row in rows)
assert all(row.onsite_start_date is None or type(row.onsite_start_date) is datetime.date for row in rows)
assert any(row.onsite_start_date for row in rows), "the demo's caseload has no on-site dates"
for path in workspaces[:5]:
    page = visit(inspector, path); seen.append(path)
    assert "Quality statements in scope" in page
reports = sorted(set(re.findall(r'href="(/reports/\d+/)"', visit(inspector, "/reports/"))))
for path in reports[:5]:
    visit(inspector, path); seen.append(path)
# Each unpublished report read is in the audit log: on SQLite written by report_page_reads itself (on PostgreSQL by
# the WITH clause of the statement that reads the report).
from cqcportal.audit.models import AuditEvent
from factual_accuracy.models import Report
read = [int(path.split("/")[2]) for path in reports[:5]]
unpublished = set(Report.objects.filter(pk__in=read).exclude(state="published").values_list("pk", flat=True))
recorded = {
    int(event.object_id)
    for event in AuditEvent.objects.filter(action="document.view", actor=staff)
    if event.data == {"document": "draft report", "state": Report.objects.get(pk=event.object_id).state}
}
assert unpublished and unpublished <= recorded, (unpublished, recorded)

provider = Client()
provider.force_login(User.objects.get(email="manager@thames-court.example"))
dashboard = visit(provider, "/dashboard/"); seen.append("/dashboard/")
for path in sorted(set(re.findall(r'href="(/reports/\d+/)"', dashboard))):
    page = visit(provider, path); seen.append(path)
    assert "app-report-section" in page
print("OK", len(seen), " ".join(seen))
"""


def test_the_demo_on_sqlite_answers_every_kind_of_visitor(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CACHE_", "CELERY_", "CQC_", "DJANGO_"))
    }
    env |= {
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "cqcportal.settings",
        "CQC_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run([sys.executable, "-c", PAGES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("OK"), done.stdout
    assert "/assessments/" in done.stdout and "/dashboard/" in done.stdout
