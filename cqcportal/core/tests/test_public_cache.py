"""Public pages from the shared cache: anonymous visitors only, out of date the moment the public view changes,
and never an error when the cache is down."""

import os
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction

from assessments.services import assessment_create, assessment_start
from cqcportal.core.cache import ResilientRedisCache
from cqcportal.core.public_cache import public_pages_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_cache(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    cache.clear()
    return settings


def test_public_page_second_visit_is_served_from_the_cache_with_no_query(
    public_cache, client, location, django_assert_num_queries
):
    first = client.get(f"/location/{location.cqc_id}/")
    with django_assert_num_queries(0):
        second = client.get(f"/location/{location.cqc_id}/")
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content and location.name in second.content.decode()
    # The security headers still come from the middleware, on every answer.
    assert "Content-Security-Policy" in second and second["X-Frame-Options"] == "DENY"


def test_public_pages_are_cached_each_for_its_own_address(public_cache, client, location):
    client.get(f"/location/{location.cqc_id}/")
    assert client.get(f"/location/{location.cqc_id}/how-this-rating-was-reached/")["X-Cache"] == "miss"
    assert client.get("/register/?postcode=OL4")["X-Cache"] == "miss"
    assert client.get("/register/?postcode=OL8")["X-Cache"] == "miss"
    assert client.get("/register/?postcode=OL4")["X-Cache"] == "hit"


def test_public_page_is_out_of_date_once_an_assessment_starts(
    public_cache, client, location, inspector, django_capture_on_commit_callbacks
):
    assert "Assessment in progress" not in client.get(f"/location/{location.cqc_id}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assessment = assessment_create(by=inspector, location=location, kind="planned", announced=True)
    assert client.get(f"/location/{location.cqc_id}/")["X-Cache"] == "hit"  # planning is not public
    with django_capture_on_commit_callbacks(execute=True):
        assessment_start(by=inspector, assessment=assessment)
    page = client.get(f"/location/{location.cqc_id}/")
    assert page["X-Cache"] == "miss" and "Assessment in progress" in page.content.decode()


def test_public_pages_changed_counts_only_once_its_transaction_commits(
    public_cache, client, location, django_capture_on_commit_callbacks
):
    client.get(f"/location/{location.cqc_id}/")
    with pytest.raises(RuntimeError), transaction.atomic():
        public_pages_changed()
        raise RuntimeError("rolled back")
    assert client.get(f"/location/{location.cqc_id}/")["X-Cache"] == "hit"


def test_public_page_is_not_cached_for_signed_in_visitors_or_with_a_message_waiting(
    public_cache, client, location, inspector
):
    client.get(f"/location/{location.cqc_id}/")  # cached for the anonymous
    client.force_login(inspector)
    signed_in = client.get(f"/location/{location.cqc_id}/")
    assert "X-Cache" not in signed_in and inspector.full_name in signed_in.content.decode()
    client.logout()
    client.cookies["messages"] = "a message waiting for this visitor"
    assert "X-Cache" not in client.get(f"/location/{location.cqc_id}/")


def test_public_page_not_found_is_not_cached(public_cache, client):
    assert client.get("/location/1-NO-SUCH/").status_code == 404
    assert "X-Cache" not in client.get("/location/1-NO-SUCH/")


def test_resilient_cache_on_real_redis_stores_and_counts():
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CQC_REQUIRE_SERVICES"):
            pytest.fail("CQC_REQUIRE_SERVICES is set but REDIS_URL is not")
        pytest.skip("needs REDIS_URL: run the suite with `make test`")
    redis_cache = ResilientRedisCache(url, {"KEY_PREFIX": uuid.uuid4().hex})
    redis_cache.set("page", b"<html>", 30)
    assert redis_cache.get("page") == b"<html>"
    assert redis_cache.add("generation", 0) is True and redis_cache.incr("generation") == 1


def test_resilient_cache_answers_as_empty_when_redis_is_down_and_does_not_retry_at_once(monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(ResilientRedisCache, "down_until", 0.0)
    down = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    assert down.get("page", "default") == "default"
    assert ResilientRedisCache.down_until > 0
    assert down.set("page", b"x", 30) is None and down.add("g", 0) is False and down.incr("g") is None


def test_public_page_still_answers_when_the_cache_is_down(settings, client, location, monkeypatch):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(ResilientRedisCache, "down_until", 0.0)
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    settings.CACHES = {
        "default": {
            "BACKEND": "cqcportal.core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    for _ in range(2):
        page = client.get(f"/location/{location.cqc_id}/")
        assert page.status_code == 200 and location.name in page.content.decode()
