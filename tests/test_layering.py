"""The project's packages are layers: a module imports its own layer or lower ones, never a higher one.

Lowest first (docs/architecture.md, "Packages"):

    massar.settings < ingestion < synthetic < warehouse < expectations < dashboards < massar < dags

``massar.settings`` (paths, keys, production mode, hashing) is the leaf; ``massar`` is the rest of that
package (the command, the pipeline, orchestration); ``dags`` are the Airflow DAG files. Besides the order,
the dashboards never import ``ingestion`` (nor ``dags``, which the order forbids already). ``tests/`` and
``benchmarks/`` may import anything. Every import counts, at module top or inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The DAG folder is on Airflow's sys.path: its files are top-level modules (``_massar_tasks``, ...).
DAG_MODULES = tuple(sorted(p.stem for p in (REPO / "dags").glob("*.py")))

#: Lowest first: (layer, the module names it holds as prefixes).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("massar.settings", ("massar.settings",)),
    ("ingestion", ("ingestion",)),
    ("synthetic", ("synthetic",)),
    ("warehouse", ("warehouse",)),
    ("expectations", ("expectations",)),
    ("dashboards", ("dashboards",)),
    ("massar", ("massar",)),
    ("dags", DAG_MODULES),
)
#: (importer's layer, imported layer) pairs forbidden even though the order allows them.
FORBIDDEN: frozenset[tuple[str, str]] = frozenset({("dashboards", "ingestion")})
PACKAGES = ("massar", "ingestion", "synthetic", "warehouse", "expectations", "dashboards")


def layer_of(module: str) -> int | None:
    """The index of ``module``'s layer in ``LAYERS`` (the first whose prefix matches), None for a module
    outside the project (the standard library, third-party packages)."""
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    if parts[0] == "dags":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_names(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts as ``a.b``: ``b`` may be a submodule)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports, over every .py of the layered packages."""
    files = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]
    files += sorted((REPO / "dags").glob("*.py"))
    graph = {}
    for path in sorted(files):
        name = module_name(path)
        graph[name] = {m for m in imported_names(path, name) if layer_of(m) is not None}
    return graph


def violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """The edges that run up the layers or are forbidden, as ``importer (layer) -> imported (layer)``."""
    bad = []
    for importer, imported in sorted(graph.items()):
        low = layer_of(importer)
        assert low is not None, f"{importer} belongs to no layer: add it to LAYERS"
        for target in sorted(imported):
            high = layer_of(target)
            if high is None:
                continue
            pair = (LAYERS[low][0], LAYERS[high][0])
            if high > low or pair in FORBIDDEN:
                bad.append(f"{importer} ({pair[0]}) -> {target} ({pair[1]})")
    return bad


def test_no_module_imports_a_higher_layer() -> None:
    graph = project_graph()
    assert len(graph) > 150, "the walk found too few modules: is REPO right?"
    bad = violations(graph)
    print("\n".join(bad))
    assert not bad, "imports that run up the layers:\n  " + "\n  ".join(bad)


def test_settings_import_nothing_of_the_project_but_themselves() -> None:
    graph = project_graph()
    settings = {m: deps for m, deps in graph.items() if layer_of(m) == 0}
    assert {"massar.settings", "massar.settings.keys", "massar.settings.hashing"} <= settings.keys()
    outside = {m: sorted(d for d in deps if layer_of(d) != 0) for m, deps in settings.items()}
    assert not any(outside.values()), outside


def test_the_check_reports_a_bad_edge() -> None:
    """On a made-up graph: each kind of bad edge is reported, by name; allowed edges are not."""
    graph = {
        "massar.settings.keys": {"massar.settings.locations", "massar.pipeline"},  # leaf reaches up
        "warehouse.serving": {"ingestion.lake", "dashboards.alerts"},  # warehouse -> dashboards
        "dashboards.pages": {"warehouse.publish", "ingestion.contracts"},  # forbidden pair
        "massar.cli": {"dashboards.auth", "synthetic.generate", "massar_daily"},  # massar -> dags
        "massar_daily": {"massar.pipeline", "dashboards.alerts", "_massar_tasks"},  # all allowed
    }
    assert violations(graph) == [
        "dashboards.pages (dashboards) -> ingestion.contracts (ingestion)",
        "massar.cli (massar) -> massar_daily (dags)",
        "massar.settings.keys (massar.settings) -> massar.pipeline (massar)",
        "warehouse.serving (warehouse) -> dashboards.alerts (dashboards)",
    ]


def test_imports_are_read_at_any_depth(tmp_path: Path) -> None:
    """An import inside a function, a relative import and ``from package import submodule`` all count."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from . import sibling\ndef f():\n    from dashboards import alerts\n    import massar.pipeline\n",
        encoding="utf-8",
    )
    assert imported_names(source, "warehouse.probe") == {
        "warehouse.sibling",
        "dashboards.alerts",
        "massar.pipeline",
    }
