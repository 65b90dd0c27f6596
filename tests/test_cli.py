"""The command line, run for real in a subprocess against temporary stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node
from assetmap.ui.launch import serve_command


def run_cli(*args: str, tmp_path: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASSETMAP_HOME=str(tmp_path / "home"))
    env.pop("ASSETMAP_STORE", None)
    return subprocess.run([sys.executable, "-m", "assetmap.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=tmp_path)


def test_info_on_a_real_store(tmp_path):
    store = SQLiteStore(tmp_path / "a.db")
    store.upsert_nodes([Node("person:1", "Person", "Ann"), Node("g", "Group", "Walkers")])
    store.close()
    out = run_cli("info", "--store", f"sqlite:///{tmp_path / 'a.db'}", "--json",
                  tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["nodes"]["Person"] == 1 and summary["nodes"]["Group"] == 1
    assert sum(summary["ties"].values()) == 0


def test_info_error_is_one_sentence(tmp_path):
    out = run_cli("info", "--store", "postgres://nowhere/db", tmp_path=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "not known" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_demo_builds_then_reuses_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = run_cli("demo", "--store", url, "--people", "500", "--no-serve", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "built in" in first.stdout
    info = json.loads(run_cli("info", "--store", url, "--json", tmp_path=tmp_path).stdout)
    assert info["nodes"]["Person"] == 500
    assert info["nodes"]["Area"] > 100 and info["nodes"]["Organisation"] > 50
    again = run_cli("demo", "--store", url, "--people", "500", "--no-serve", tmp_path=tmp_path)
    assert again.returncode == 0 and "already built" in again.stdout


def test_demo_default_store_lives_in_assetmap_home(tmp_path):
    out = run_cli("info", "--json", tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    assert str(tmp_path / "home") in json.loads(out.stdout)["store"]
    assert (tmp_path / "home" / "assetmap.db").exists()


def test_serve_command_runs_the_app_headless():
    cmd = serve_command(port=8765)
    # Streamlit's own command line, behind assetmap's hardening entry point (issue 15).
    assert cmd[1:4] == ["-m", "assetmap.ui.launch", "run"]
    assert Path(cmd[4]).name == "app.py"
    assert "8765" in cmd and "--browser.gatherUsageStats" in cmd
