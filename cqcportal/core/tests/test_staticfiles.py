"""Production's static files: each address is the manifest's hashed one, worked out once a process."""

import json

import pytest
from django.test import override_settings

from cqcportal.core.staticfiles import StaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "hash": "x", "paths": {"build/portal.css": "build/portal.0123abcd.css"}})
    )
    return StaticFilesStorage(location=tmp_path, base_url="/static/")


@override_settings(DEBUG=False)
def test_an_address_is_the_hashed_one_and_is_worked_out_once(storage, monkeypatch):
    looked_up = []
    original = storage.stored_name
    monkeypatch.setattr(storage, "stored_name", lambda name: looked_up.append(name) or original(name))
    assert storage.url("build/portal.css") == "/static/build/portal.0123abcd.css"
    assert storage.url("build/portal.css") == "/static/build/portal.0123abcd.css"
    assert looked_up == ["build/portal.css"]
    # A file the manifest does not hold is still an error, every time (nothing wrong is remembered).
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("build/missing.css")


def test_with_debug_or_when_forced_nothing_is_remembered(storage, settings):
    settings.DEBUG = True
    assert storage.url("build/portal.css") == "/static/build/portal.css"  # Django's own DEBUG answer
    settings.DEBUG = False
    assert storage.url("build/portal.css", force=True) == "/static/build/portal.0123abcd.css"
    assert storage._urls == {}
