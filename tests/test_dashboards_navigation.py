"""The sidebar menu of the internal app lists every page once, under a labelled section.

``dashboards/app.py`` declares the pages (``PAGES``) and the menu's sections (``SECTIONS``) as literals;
they are read from the source (importing app.py would run the Streamlit script). A page added to
``PAGES`` but to no section would be unreachable from the menu.
"""

from __future__ import annotations

import ast
from pathlib import Path

from dashboards.i18n import labels

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"


def _literal(name: str) -> object:
    for node in ast.walk(ast.parse(APP.read_text(encoding="utf-8"))):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            assert node.value is not None
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {APP}")


def test_every_page_is_in_exactly_one_section() -> None:
    pages = [entry[0] for entry in _literal("PAGES")]
    in_sections = [file for _, files in _literal("SECTIONS") for file in files]
    assert sorted(in_sections) == sorted(pages)
    assert len(set(in_sections)) == len(in_sections)


def test_sections_are_labelled_in_both_languages() -> None:
    for lang in ("fr", "ar"):
        words = labels(lang)
        missing = [key for key, _ in _literal("SECTIONS") if not words.get(key)]
        assert not missing, (lang, missing)
