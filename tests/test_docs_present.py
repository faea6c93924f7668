"""Docs, dbt docs and code comments describe the project as it is, and the commands they show exist.

Two checks, both plain text scans (no pipeline, a fraction of a second):

- no reference to a tracker number ("issue 12", "issue #12") and none of the phrases of a work
  chronicle (numbered sessions or rounds of work, "another engineer", "previously", "before this
  change", ...) in ``README.md``, ``docs/``, the dbt project's yml/md files, or any Python file of the
  repository (history lives in ``benchmarks/results/*.json`` and ``git log``). "The previous version"
  is not listed: a published version and the one before it are part of the data model.
- every ``massar <command> [--option ...]`` and ``make <target>`` written in code (fenced blocks and
  inline code spans) of ``README.md`` and ``docs/*.md`` names a subcommand and options that the
  ``massar`` parser defines, and a target that the Makefile defines.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest

from massar.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".venv", ".git", "data", "target", "dbt_packages", "logs", "node_modules", "__pycache__"}
SKIPPED_PATHS = {REPO / "benchmarks" / "results"}

_ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|earlier|last|previous)"
NARRATIVE = [
    re.compile(r"\bissues? *#? *\d+", re.IGNORECASE),
    re.compile(r"\bissues? +\d+ +and +\d+", re.IGNORECASE),
    re.compile(rf"\b{_ORDINAL} +(?:session|round)s?\b", re.IGNORECASE),
    re.compile(r"\b(?:session|round) +\d+\b(?![.,]\d)(?! *[-–] *\d)", re.IGNORECASE),
    re.compile(r"\banother +engineer|\bother +engineers", re.IGNORECASE),
    re.compile(r"\bpreviously\b", re.IGNORECASE),
    re.compile(r"\bbefore +this +change\b", re.IGNORECASE),
    re.compile(r"\bprevious +(?:run|round)s?\b", re.IGNORECASE),
]


def _walk(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and here / d not in SKIPPED_PATHS]
        dirs[:] = [d for d in dirs if not d.endswith(".egg-info")]
        found += [here / f for f in files if f.endswith(suffixes)]
    return found


def _scanned_files() -> list[Path]:
    files = [REPO / "README.md", *_walk(REPO / "docs", (".md",)), *_walk(REPO / "dbt", (".yml", ".md"))]
    files += [p for p in _walk(REPO, (".py",)) if p != Path(__file__).resolve()]
    return sorted(set(files))


def test_no_issue_numbers_or_work_chronicle() -> None:
    files = _scanned_files()
    assert any(p.name == "benchmarks.md" for p in files) and any(p.suffix == ".py" for p in files)
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern in NARRATIVE:
                if match := pattern.search(line):
                    where = f"{path.relative_to(REPO)}:{number}"
                    found.append(f"{where}: {match.group(0)!r} in {line.strip()[:120]}")
    assert not found, "describe the present, not the history:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "text",
    [
        "see issue 12",
        "Issue #7 fixed",
        "issues 6 and 8",
        "in the fourth session",
        "another engineer's test",
        "measured previously",
        "Before this change,",
        "the earlier round",
    ],
)
def test_the_narrative_patterns_catch_what_they_are_for(text: str) -> None:
    assert any(p.search(text) for p in NARRATIVE)


@pytest.mark.parametrize(
    "text",
    [
        "the previous version stays current",
        "the session pipeline",
        "round(x, 2)",
        "a user's session",
        "session 1-8",
        "normal session 67.8 %",
        "rounded half up",
    ],
)
def test_the_narrative_patterns_spare_the_domain_words(text: str) -> None:
    assert not any(p.search(text) for p in NARRATIVE)


# ------------------------------------------------------------------------------------ commands in the docs
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")
_END = r"(?=(?<![\w.-])massar +[a-z]|[`#|;&\n]|$)"  # the next command, a comment, a pipe, the end
MASSAR = re.compile(r"(?<![\w.-])massar +([a-z][a-z-]*)([^`#|;&\n]*?)" + _END)
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")
MAKE = re.compile(r"(?:^|[\s(])make +([a-z][\w-]*)")


def _code(text: str) -> list[str]:
    blocks = FENCE.findall(text)
    prose = FENCE.sub("", text)
    return blocks + INLINE.findall(prose)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _options(parser: argparse.ArgumentParser, rest: str) -> set[str]:
    """The options ``parser`` knows, and those of the sub-subcommand ``rest`` names first, if it has
    any (``massar alerts send --day``)."""
    known = set(parser._option_string_actions)
    words = rest.split()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and words and words[0] in action.choices:
            known |= set(action.choices[words[0]]._option_string_actions)
    return known


def _makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-zA-Z][\w-]*) *:", text, flags=re.MULTILINE))


def test_documented_commands_exist() -> None:
    commands = _subcommands()
    targets = _makefile_targets()
    seen, wrong = 0, []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for code in _code(path.read_text(encoding="utf-8")):
            for line in code.splitlines():
                for name, rest in MASSAR.findall(line):
                    seen += 1
                    if name not in commands:
                        wrong.append(f"{path.name}: massar {name} (no such command) in {line.strip()!r}")
                        continue
                    known = _options(commands[name], rest)
                    wrong += [
                        f"{path.name}: massar {name} {o} (no such option) in {line.strip()!r}"
                        for o in OPTION.findall(rest)
                        if o not in known
                    ]
                wrong += [
                    f"{path.name}: make {t} (no such target) in {line.strip()!r}"
                    for t in MAKE.findall(line)
                    if t not in targets
                ]
    assert seen > 20, "the scan found almost no command: the pattern no longer matches the docs"
    assert not wrong, "\n".join(wrong)


SCRIPT = re.compile(r"(?:python +)?(benchmarks/[a-z_]+\.py)([^`#|;&\n]*)")


def test_documented_benchmark_options_exist() -> None:
    """Each ``--option`` written after a benchmark script in the docs' code is declared by that script
    (or by ``benchmarks/page_timing.py``, whose parser the page benchmarks share)."""
    shared = (REPO / "benchmarks" / "page_timing.py").read_text(encoding="utf-8")
    seen, wrong = 0, []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for code in _code(path.read_text(encoding="utf-8")):
            for line in code.splitlines():
                for script, rest in SCRIPT.findall(line):
                    source = REPO / script
                    if not source.exists():
                        wrong.append(f"{path.name}: {script} does not exist")
                        continue
                    text = source.read_text(encoding="utf-8") + shared
                    for option in OPTION.findall(rest):
                        seen += 1
                        if f'"{option}"' not in text:
                            wrong.append(f"{path.name}: {script} {option} (no such option)")
    assert seen > 10, "the scan found almost no benchmark option: the pattern no longer matches the docs"
    assert not wrong, "\n".join(wrong)
