"""No function of the product code is longer than 80 lines.

A function's length runs from its ``def`` line to the last line of its body (docstring and nested functions
included, decorators not); methods and nested functions are measured too. The product code is every ``.py``
file under the folders of ``PRODUCT``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PRODUCT = (
    "massar",
    "synthetic",
    "ingestion",
    "warehouse",
    "expectations",
    "dags",
    "dashboards",
    "benchmarks",
)
MAX_LINES = 80


def long_functions(source: str, limit: int = MAX_LINES) -> dict[str, int]:
    """``qualified name -> lines`` of every function of ``source`` longer than ``limit`` lines."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                if lines > limit:
                    found[name] = lines
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def product_long_functions() -> dict[str, int]:
    """``path::qualified name -> lines`` of the product code's functions over ``MAX_LINES``."""
    found: dict[str, int] = {}
    for folder in PRODUCT:
        for path in sorted((REPO / folder).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            for name, lines in long_functions(path.read_text(encoding="utf-8")).items():
                found[f"{relative}::{name}"] = lines
    return found


def test_no_function_is_longer_than_80_lines() -> None:
    over = product_long_functions()
    assert not over, "functions over 80 lines (split them into named steps): " + ", ".join(
        f"{name} ({lines})" for name, lines in sorted(over.items())
    )


def _function(name: str, lines: int, indent: str = "") -> str:
    """A function of exactly ``lines`` lines (``def`` line included)."""
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(lines - 2))
    return f"{indent}def {name}() -> int:\n{body}{indent}    return 0\n"


def test_the_measure_counts_from_def_to_the_last_line() -> None:
    source = (
        "import functools\n\n\n@functools.cache\n"
        + _function("at_the_limit", MAX_LINES)
        + "\n\n"
        + _function("one_over", MAX_LINES + 1)
        + "\n\nclass Page:\n"
        + _function("method", MAX_LINES + 5, indent="    ")
        + "\n\ndef outer() -> None:\n"
        + _function("inner", MAX_LINES + 2, indent="    ")
    )
    assert long_functions(source) == {
        "one_over": MAX_LINES + 1,
        "Page.method": MAX_LINES + 5,
        "outer": MAX_LINES + 3,  # its def line and the inner function
        "outer.inner": MAX_LINES + 2,
    }


@pytest.mark.parametrize("folder", PRODUCT)
def test_the_product_folders_are_read(folder: str) -> None:
    # a folder renamed or moved must be renamed here too
    assert any((REPO / folder).rglob("*.py")), folder
