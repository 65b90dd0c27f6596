"""`assetmap info` stays quick (issue 16): the command loads neither pydantic (settings) nor
networkx, pandas or numpy — on a real SQLite file, and on the real Bolt test server, where the
Neo4j driver is imported without its optional data-frame support. Checked by the modules a real
run of the command leaves loaded, not by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node

HEAVY = ("pydantic", "pydantic_settings", "networkx", "pandas", "numpy", "geopandas")
#: Runs the CLI's info in this process, then prints the counts and which heavy modules loaded.
PROBE = ("import json, sys\n"
         "from assetmap.cli import main\n"
         "main(['info', '--json', '--store', sys.argv[1]], standalone_mode=False)\n"
         f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n")


def _probe(url: str, tmp_path: Path, **env: str) -> tuple[dict, list[str]]:
    full = {**os.environ, "ASSETMAP_HOME": str(tmp_path / "home"), **env}
    full.pop("ASSETMAP_STORE", None)
    out = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True,
                         env=full, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    summary_text, loaded = out.stdout.rsplit("\n", 2)[0], out.stdout.strip().splitlines()[-1]
    return json.loads(summary_text), json.loads(loaded)


def test_info_on_sqlite_loads_nothing_heavy(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    store.upsert_nodes([Node("person:1", "Person", "Synthetic One", props={"synthetic": True}),
                        Node("group:1", "Group", "Walkers")])
    store.close()
    summary, loaded = _probe(f"sqlite:///{tmp_path / 'a.db'}", tmp_path)
    assert summary["nodes"]["Person"] == 1 and summary["nodes"]["Group"] == 1
    assert loaded == []


def test_info_on_bolt_loads_no_data_frames(tmp_path: Path, bolt_server) -> None:
    env = {"ASSETMAP_NEO4J_USER": bolt_server.user,
           "ASSETMAP_NEO4J_PASSWORD": bolt_server.password}
    if bolt_server.database:
        env["ASSETMAP_NEO4J_DATABASE"] = bolt_server.database
    summary, loaded = _probe(bolt_server.uri, tmp_path, **env)
    assert set(summary["nodes"]) >= {"Person", "Group"}
    assert loaded == []


def test_the_lean_driver_import_leaves_pandas_importable() -> None:
    """Hiding the data-frame packages lasts only while the driver loads."""
    code = ("import sys\nfrom assetmap.cli import _import_neo4j_lean\n_import_neo4j_lean()\n"
            "assert 'neo4j' in sys.modules and 'pandas' not in sys.modules\n"
            "import pandas, numpy\nprint(pandas.DataFrame({'a': [1]}).shape)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "(1, 1)"
