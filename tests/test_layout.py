"""The layout shows the architecture: the Trafford demo is one area among many, so nothing but
the demo package itself and the ``demo`` command imports it (maps, reports and pages get areas
and attribution from the store)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assetmap"
#: Functions outside assetmap/demo/ that may import it: the ``assetmap demo`` verb only.
ALLOWED_FUNCTIONS = {("cli.py", "demo")}


def _demo_imports(tree: ast.AST) -> list[tuple[int, str | None]]:
    """(line, enclosing function) of every import of assetmap.demo in a module."""
    found: list[tuple[int, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) \
                else function
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module] + [f"{child.module}.{a.name}" for a in child.names]
            if any(n == "assetmap.demo" or n.startswith("assetmap.demo.") for n in names):
                found.append((child.lineno, function))
            visit(child, inner)

    visit(tree, None)
    return found


def test_only_the_demo_imports_the_demo() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "demo":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, function in _demo_imports(tree):
            if (rel.as_posix(), function) not in ALLOWED_FUNCTIONS:
                offenders.append(f"assetmap/{rel.as_posix()}:{line}")
    assert not offenders, f"only assetmap/demo/ and the demo verb may import it: {offenders}"


def test_the_check_finds_a_demo_import() -> None:
    """The check itself can fail: each spelling of an import of the demo is found."""
    for source in ("from assetmap.demo import trafford", "import assetmap.demo.trafford",
                   "def f():\n    from assetmap.demo.build import open_demo",
                   "from assetmap import demo"):
        assert _demo_imports(ast.parse(source)), source
    assert not _demo_imports(ast.parse("from assetmap.demography import x"))


def test_no_boundaries_file_beside_the_store() -> None:
    """Boundaries live in the store: no module writes or reads a GeoPackage beside it."""
    for path in sorted(PACKAGE.rglob("*.py")):
        assert ".areas.gpkg" not in path.read_text(encoding="utf-8"), path


def test_no_store_adapter_imports_the_other() -> None:
    """SQLite and Neo4j are two adapters of one protocol: shared rules live in ``model`` or the
    ``graph.store`` package, never in one adapter that the other imports."""
    store = PACKAGE / "graph" / "store"
    for own, other in (("sqlite_store", "neo4j_store"), ("neo4j_store", "sqlite_store")):
        tree = ast.parse((store / f"{own}.py").read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert f"assetmap.graph.store.{other}" not in imported, own


def test_a_notebook_user_needs_only_import_assetmap() -> None:
    """open_store, the demo, the area provider, the analyses and the errors come from
    ``assetmap`` itself; the heavy ones load on first use, so the package import stays light."""
    import subprocess
    import sys

    code = ("import sys, assetmap; heavy = 'geopandas' in sys.modules; "
            "names = ['open_store', 'open_demo', 'areas', 'isolated_people', "
            "'suggest_connections', 'provision_gaps', 'closure_impact', 'ValidationError', "
            "'StoreError']; "
            "assert all(callable(getattr(assetmap, n)) for n in names); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
