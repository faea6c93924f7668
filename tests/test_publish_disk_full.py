"""Disk full during publish: "not published: disk full (need X, free Y)", exit code 4, nothing published,
no temporary copy left behind, and a retry leaves nothing more. On a real small tmpfs when the machine
allows mounting one (root), and with a simulated ``ENOSPC`` in the middle of the copy otherwise too."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from publish_support import copy_home, last_line, massar

from warehouse import publish as wap
from warehouse.publish import DiskFullError, Verdict, current, publish, versions

EXIT_DISK_FULL = 4  # docs/operations.md, "Exit codes"


def _files(root: Path) -> dict[str, int]:
    """Every file of ``root`` with its size, but the writer lock's (it records who last held it)."""
    return {
        str(p.relative_to(root)): p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and p.name != "writer.lock"
    }


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize(
    "room",
    [
        pytest.param("less than the copy", marks=pytest.mark.slow),  # about 20 s: refused before copying
        "the copy but not the stores",
    ],
)
def test_publish_on_a_full_tmpfs(pipeline_home: Path, small_disk: Path, room: str) -> None:
    """The session home on a 256 MB tmpfs, filled (by a filler file) so that what is left is less than the
    warehouse copy, or just the copy with no room for the serving stores and the version's own writes."""
    home = copy_home(pipeline_home, small_disk / "home")
    candidate = home / "warehouse" / "candidate.duckdb"
    size = candidate.stat().st_size
    free = shutil.disk_usage(small_disk).free
    left = size // 2 if room == "less than the copy" else size + 64 * 1024
    if free <= left:
        pytest.skip("the session warehouse does not fit twice on the small disk")
    with open(small_disk / "filler", "wb") as f:  # tmpfs allocates on write
        remaining = free - left
        while remaining > 0:
            remaining -= f.write(b"\0" * min(remaining, 1 << 24))
    before = _files(home)
    live = current(home / "warehouse" / "published")
    for attempt in range(2):  # a retry accumulates nothing
        result = massar(home, "publish")
        assert result.returncode == EXIT_DISK_FULL, (attempt, result.stderr[-3000:])
        message = last_line(result.stderr)
        assert message.startswith("not published: disk full (need "), message
        assert ", free " in message and "Traceback" not in result.stderr
        assert current(home / "warehouse" / "published") == live
        assert _files(home) == before  # no partial copy, no store of the version that was not published
    (small_disk / "filler").unlink()  # room again: the same candidate publishes
    result = massar(home, "publish")
    assert result.returncode == 0, result.stderr[-3000:]
    assert current(home / "warehouse" / "published").version == last_line(result.stdout)


def test_enospc_in_the_middle_of_the_copy_is_a_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy that fails with ENOSPC halfway (simulated: a tmpfs cannot be mounted everywhere): the
    partial copy is removed, the error says how much was needed and is free, and retries leave nothing."""
    candidate, published = tmp_path / "candidate.duckdb", tmp_path / "published"
    with duckdb.connect(str(candidate)) as con:
        con.execute("create table t as select range as id, md5(range::varchar) as v from range(200000)")
    first = publish(candidate, published, verdict=Verdict("pass"))
    real_copy = shutil.copyfile

    def copy_until_full(src: os.PathLike[str], dst: os.PathLike[str], **kwargs: object) -> object:
        with open(src, "rb") as source, open(dst, "wb") as target:
            target.write(source.read(os.path.getsize(src) // 2))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(wap.shutil, "copyfile", copy_until_full)
    for _ in range(3):
        with pytest.raises(DiskFullError, match=r"disk full \(need .+, free .+\)"):
            publish(candidate, published, verdict=Verdict("pass"))
        assert sorted(p.name for p in published.iterdir()) == sorted(["CURRENT", first.path.name])
    monkeypatch.setattr(wap.shutil, "copyfile", real_copy)
    assert publish(candidate, published, verdict=Verdict("pass")).version in versions(published)
