"""The notebooks in ``notebooks/`` run top to bottom on a fresh checkout, and are committed clean.

Each notebook asserts what it shows, so executing it is the test: any error or failed assert in
a cell fails here. The kernel is the interpreter running the tests (jupyter_client's built-in
``python3`` spec from the ipykernel installed beside it); no ``ipykernel install`` is needed.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[test]' (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[test]' (nbclient)")
pytest.importorskip("ipykernel", reason="pip install -e '.[test]' (ipykernel)")

from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: Seconds any one cell may take; each notebook as a whole should finish well inside 2 minutes.
CELL_TIMEOUT_S = 110
NOTEBOOK_BUDGET_S = 120


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def this_interpreter_kernel() -> KernelManager:
    """A kernel manager that starts ``python -m ipykernel_launcher`` with *this* Python, ignoring
    any ``python3`` kernelspec installed elsewhere on the machine."""
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    assert NATIVE_KERNEL_NAME in specs.find_kernel_specs()
    km = KernelManager(kernel_name=NATIVE_KERNEL_NAME, kernel_spec_manager=specs)
    assert km.kernel_spec.argv[0] in (sys.executable, "python", "python3"), km.kernel_spec.argv
    return km


def run_notebook(path: Path, tmp_path: Path) -> tuple[float, nbformat.NotebookNode]:
    """Execute a notebook in its own folder with a fresh kernel; return the seconds it took and
    the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    km = this_interpreter_kernel()
    client = nbclient.NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S,
                                     kernel_name=NATIVE_KERNEL_NAME, allow_errors=False,
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    return seconds, nb


def output_types(nb: nbformat.NotebookNode) -> set[str]:
    """Every MIME type the executed notebook displayed."""
    return {mime for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            for mime in o.get("data", {})}


def test_there_are_three_notebooks():
    names = [p.name for p in notebook_paths()]
    assert names == ["01_tour.ipynb", "02_provision_gaps.ipynb", "03_neo4j.ipynb"]


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_committed_notebooks_have_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.get("outputs") == [], f"cell {i} of {path.name} has outputs"
        assert cell.get("execution_count") is None, f"cell {i} of {path.name} was executed"


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    """The kernel inherits this environment: no store in the user's data directory; matplotlib
    left to the kernel's inline backend, as in Jupyter."""
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("ASSETMAP_STORE", raising=False)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize(("name", "shows"), [
    ("01_tour", {"text/html"}),                 # tables and the person's circle
    ("02_provision_gaps", {"text/html", "image/png"}),  # maps and tables; the chart
])
def test_notebook_runs(name, shows, isolated_env):
    seconds, nb = run_notebook(NOTEBOOKS / f"{name}.ipynb", isolated_env)
    assert seconds < NOTEBOOK_BUDGET_S, f"{name} took {seconds:.0f} s"
    assert shows <= output_types(nb)
    assert not list(NOTEBOOKS.glob("*.db")), "a notebook wrote a store into the repository"
    assert not (isolated_env / "home").exists(), "a notebook used the default store"


@pytest.mark.slow
def test_neo4j_notebook_runs(isolated_env, monkeypatch, request):
    """03 runs against the session's Bolt server (ArcadeDB stand-in, or a real Neo4j from
    ``ASSETMAP_NEO4J_URI``), emptied first, passed to the kernel through the environment."""
    from bolt_server import wipe

    server = request.getfixturevalue("bolt_server")
    wipe(server)
    monkeypatch.setenv("ASSETMAP_NEO4J_URI", server.uri)
    monkeypatch.setenv("ASSETMAP_NEO4J_USER", server.user)
    monkeypatch.setenv("ASSETMAP_NEO4J_PASSWORD", server.password)
    if server.database:
        monkeypatch.setenv("ASSETMAP_NEO4J_DATABASE", server.database)
    else:
        monkeypatch.delenv("ASSETMAP_NEO4J_DATABASE", raising=False)
    try:
        seconds, _ = run_notebook(NOTEBOOKS / "03_neo4j.ipynb", isolated_env)
    finally:
        wipe(server)
    assert seconds < NOTEBOOK_BUDGET_S, f"03_neo4j took {seconds:.0f} s"
    assert os.environ["ASSETMAP_NEO4J_URI"] == server.uri


# --- docs/data-model.md cannot drift from assetmap.vocab ----------------------------------------

DATA_MODEL = NOTEBOOKS.parent / "docs" / "data-model.md"
_BLOCK = re.compile(r"<!-- vocab:(?P<name>[a-z-]+) -->\n(?P<body>.*?)<!-- /vocab -->", re.S)


def _words(values) -> str:
    return ", ".join(f"`{v}`" for v in values)


def vocab_tables() -> dict[str, str]:
    """The vocabulary tables of docs/data-model.md, generated from :mod:`assetmap.vocab`."""
    from assetmap import vocab

    def table(header: tuple[str, ...], rows) -> str:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + "\n"

    def ends(kinds) -> str:
        return " or ".join(k for k in vocab.NODE_KINDS if k in kinds)

    return {
        "tie-kinds": table(
            ("tie kind", "class", "from", "to", "stored"),
            ((f"`{k}`", cls, ends(vocab.TIE_ENDPOINTS[k][0]), ends(vocab.TIE_ENDPOINTS[k][1]),
              "once, read both ways" if k in vocab.SYMMETRIC_TIES else "as given")
             for k, cls in vocab.TIE_KINDS.items())),
        "person": table(("field", "values"), (
            ("`roles`", _words(vocab.PERSON_ROLES)),
            ("`carer_hours` (Census 2021)", _words(vocab.CARER_HOURS)),
            ("`disability` (Census 2021)", _words(vocab.DISABILITY)),
            ("`health` (Census 2021)", _words(vocab.HEALTH)),
            ("`lonely` (ONS direct question)", _words(vocab.LONELINESS)),
            ("`age_band`", _words(vocab.AGE_BANDS)),
            ("`consent` uses", _words(vocab.CONSENT_USES)),
        )),
        "assets": table(("field", "values"), (
            ("`status` (groups, organisations)", _words(vocab.GROUP_STATUSES)),
            ("`funding` (organisations)", _words(vocab.FUNDING_STATUSES)),
            ("`cost`", _words(vocab.COSTS)),
            ("`access`", _words(vocab.ACCESS_FEATURES)),
            ("`org_kind`", _words(vocab.ORGANISATION_KINDS)),
            ("hubs (`org_kind`s that are a route into support)",
             _words(k for k in vocab.ORGANISATION_KINDS if k in vocab.HUB_KINDS)),
            ("Practitioner `role`", _words(vocab.PRACTITIONER_ROLES)),
            ("Area `level`", _words(vocab.AREA_LEVELS)),
            ("referral `status`", _words(vocab.REFERRAL_STATUSES)),
        )),
        "interests": table(("interest", "also matches"), (
            (f"`{k}`", ", ".join(syn)) for k, syn in vocab.INTERESTS.items())),
        "needs": table(("need", "also matches"), (
            (f"`{k}`", ", ".join(syn)) for k, syn in vocab.NEEDS.items())),
    }


def write_vocab_tables(path: Path = DATA_MODEL) -> None:
    """Regenerate the tables in docs/data-model.md (``python tests/test_notebooks.py``)."""
    tables = vocab_tables()
    text = path.read_text(encoding="utf-8")
    text = _BLOCK.sub(lambda m: f"<!-- vocab:{m['name']} -->\n{tables[m['name']]}<!-- /vocab -->",
                      text)
    path.write_text(text, encoding="utf-8")


def test_data_model_tables_match_the_vocabulary():
    blocks = {m["name"]: m["body"] for m in _BLOCK.finditer(DATA_MODEL.read_text("utf-8"))}
    expected = vocab_tables()
    assert sorted(blocks) == sorted(expected)
    for name, body in expected.items():
        assert blocks[name] == body, (f"docs/data-model.md's {name} table is out of date: run "
                                      "python tests/test_notebooks.py")


def test_data_model_names_every_kind_and_scale():
    from assetmap import vocab

    text = DATA_MODEL.read_text("utf-8")
    for kind in (*vocab.NODE_KINDS, *vocab.TIE_KINDS, *vocab.TIE_CLASSES):
        assert kind in text, kind
    for level in ("isolated", "service-only", "at risk", "some support", "well connected"):
        assert f"*{level}*" in text, level
    for scale in ("Cohen", "LSNS-6", "Berkman", "UCLA-3"):
        assert scale in text, scale
    from assetmap.graph.analysis.suggestions import WEIGHTS

    for factor, weight in WEIGHTS.items():
        assert f"**{factor}** (weight {weight})" in text, factor


def test_deploy_doc_covers_the_three_setups():
    text = (NOTEBOOKS.parent / "docs" / "deploy.md").read_text("utf-8")
    for phrase in ("assetmap serve --store", "make demo", "ASSETMAP_AUTH", "st.login",
                   "proxy_pass", "reverse_proxy", "neo4j+s://", "assetmap copy"):
        assert phrase in text, phrase


def test_deploy_doc_per_area_analysis_runs(tmp_path):
    """The many-areas example's worker, run on two small demo stores, publishes only
    suppressed counts."""
    from assetmap.demo.build import open_demo
    from assetmap.governance import privacy

    text = (NOTEBOOKS.parent / "docs" / "deploy.md").read_text("utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
                if "def area_summary" in b]
    namespace: dict = {"__name__": "deploy_example"}  # defines, does not run the pool
    exec(compile(block, "docs/deploy.md", "exec"), namespace)
    urls = {}
    for name, people in (("North", 200), ("South", 300)):
        urls[name] = f"sqlite:///{tmp_path / name}.db"
        store, _ = open_demo(urls[name], people=people, seed=7)
        store.close()
    for name, url in urls.items():
        table = namespace["area_summary"]((name, url))
        assert set(table["area"]) == {name}
        assert set(table["level"]) <= {"isolated", "service-only", "at risk", "some support",
                                       "well connected"}
        threshold = privacy.publish_count(1)  # "<8" with the default settings
        assert all(v == "0" or v == threshold or (v.isdigit() and int(v) % 5 == 0)
                   for v in table["people"]), table


if __name__ == "__main__":
    write_vocab_tables()
