"""Settings are validated with bounds (one sentence naming the setting and its range), read once
per process, and read again after a reset; the batching and credential helpers use them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetmap import settings
from assetmap.batching import batched
from assetmap.errors import SettingsError
from assetmap.graph.store import public_url


@pytest.mark.parametrize("name, value, words", [
    ("ASSETMAP_SUPPRESS_BELOW", "-3", "a whole number from 1 to 100"),
    ("ASSETMAP_SUPPRESS_BELOW", "eight", "a whole number from 1 to 100"),
    ("ASSETMAP_ROUND_TO", "0", "a whole number from 1 to 1,000"),
    ("ASSETMAP_MAX_TRAVEL_KM", "0", "a number above 0"),
    ("ASSETMAP_BATCH_SIZE", "0", "a whole number from 1 to 1,000,000"),
    ("ASSETMAP_DEMO_PEOPLE", "10", "a whole number from 500"),
    ("ASSETMAP_AUTH", "ldap", "local or oidc"),
])
def test_a_value_out_of_range_is_refused_with_one_sentence(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        settings.load()
    message = str(err.value)
    assert name in message and words in message and repr(value) in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert "Traceback" not in message and "pydantic" not in message


def test_a_small_count_is_never_published_as_zero(monkeypatch):
    """The bug that started this: ASSETMAP_SUPPRESS_BELOW=-3 published a count of 2 as "0"."""
    from assetmap.governance.privacy import publish_count

    monkeypatch.setenv("ASSETMAP_SUPPRESS_BELOW", "-3")
    with pytest.raises(SettingsError):
        publish_count(2)
    monkeypatch.setenv("ASSETMAP_SUPPRESS_BELOW", "10")
    assert publish_count(2) == "<10"


def test_mask_distances_must_be_in_order(monkeypatch):
    monkeypatch.setenv("ASSETMAP_MASK_MIN_M", "500")
    monkeypatch.setenv("ASSETMAP_MASK_MAX_M", "100")
    with pytest.raises(SettingsError, match="ASSETMAP_MASK_MAX_M.*at least ASSETMAP_MASK_MIN_M"):
        settings.load()


def test_constructed_settings_are_checked_too():
    with pytest.raises(SettingsError, match="ASSETMAP_ROUND_TO"):
        settings.Settings(round_to=-1)
    assert settings.Settings(suppress_below=1, round_to=1).suppress_below == 1


def test_empty_values_mean_the_default_and_words_are_tidied(monkeypatch):
    monkeypatch.setenv("ASSETMAP_SUPPRESS_BELOW", "")
    monkeypatch.setenv("ASSETMAP_AUTH", " OIDC ")
    conf = settings.load()
    assert conf.suppress_below == 8 and conf.auth == "oidc"


def test_settings_are_read_once_until_reset(monkeypatch):
    first = settings.load()
    assert settings.load() is first  # cached: not re-read from the environment
    import os

    os.environ["ASSETMAP_ROUND_TO"] = "10"  # behind the cache's back ...
    try:
        assert settings.load().round_to == first.round_to
        settings.reset()  # ... seen only after a reset
        assert settings.load().round_to == 10
    finally:
        del os.environ["ASSETMAP_ROUND_TO"]
        settings.reset()


def test_the_cli_says_one_sentence_for_a_bad_setting(tmp_path):
    env = {"ASSETMAP_HOME": str(tmp_path), "ASSETMAP_BATCH_SIZE": "-1",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "assetmap.cli", "copy",
                          "--from", f"sqlite:///{tmp_path / 'a.db'}",
                          "--to", f"sqlite:///{tmp_path / 'b.db'}"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "ASSETMAP_BATCH_SIZE must be a whole number from 1" in out.stderr
    assert "Traceback" not in out.stderr


def test_one_batching_helper_sized_by_the_setting(monkeypatch):
    assert [len(b) for b in batched(range(7), 3)] == [3, 3, 1]
    monkeypatch.setenv("ASSETMAP_BATCH_SIZE", "4")
    assert [len(b) for b in batched(range(10))] == [4, 4, 2]
    assert list(batched([])) == []
    with pytest.raises(ValueError):
        list(batched(range(3), 0))


@pytest.mark.parametrize("url, public", [
    ("neo4j://neo4j:s3cret@db.example:7687/area", "neo4j://db.example:7687/area"),
    ("bolt+s://user:p@ss@host:7687", "bolt+s://host:7687"),
    ("neo4j://host:7687?database=x", "neo4j://host:7687?database=x"),
    ("sqlite:////data/team@council/assetmap.db", "sqlite:////data/team@council/assetmap.db"),
    ("sqlite:///relative.db", "sqlite:///relative.db"),
])
def test_one_credential_stripping_rule(url, public):
    assert public_url(url) == public
    assert "s3cret" not in public_url(url)


def test_the_access_database_does_not_depend_on_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    with_creds = settings.access_db_path("neo4j://u:secret@host:7687/db")
    assert with_creds == settings.access_db_path("neo4j://host:7687/db")
    assert "secret" not in str(with_creds)


@given(st.sampled_from(["suppress_below", "round_to", "batch_size", "demo_people",
                        "session_idle_minutes", "session_max_hours"]),
       st.integers(min_value=-10**7, max_value=10**7))
def test_whole_number_settings_accept_exactly_their_range(name, value):
    info = settings.Settings.model_fields[name]
    low = next(r.ge for r in info.metadata if hasattr(r, "ge"))
    high = next(r.le for r in info.metadata if hasattr(r, "le"))
    if low <= value <= high:
        assert getattr(settings.Settings(**{name: value}), name) == value
    else:
        with pytest.raises(SettingsError, match=settings.env_name(name)):
            settings.Settings(**{name: value})
