"""Subjects and weekly hours of each level (and stream), and which teacher group teaches them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from synthetic import parameters as P
from synthetic.reference import check_codes, levels, streams, subjects


@dataclass(frozen=True)
class Curriculum:
    """Flat tables: entry ``offsets[k]:offsets[k+1]`` are the subjects of curriculum ``k``."""

    table: np.ndarray  # [level, stream + 1] -> curriculum id, -1 when none
    offsets: np.ndarray
    subject: np.ndarray  # subject index (code_subjects seed order)
    hours: np.ndarray
    group: np.ndarray  # subject index of the teacher who teaches it (generalists in primary)

    def ids(self, level: np.ndarray, stream: np.ndarray) -> np.ndarray:
        ids = self.table[level, stream + 1]
        if (ids < 0).any():
            raise ValueError("a class has a level/stream with no curriculum in parameters.CURRICULUM")
        return ids

    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def expand(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For items with curriculum ``ids``: (item index, flat curriculum entry) of every subject."""
        sizes = self.sizes()[ids]
        item = np.repeat(np.arange(len(ids)), sizes)
        start = np.repeat(self.offsets[ids], sizes)
        within = np.arange(len(item)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return item, start + within


@cache
def curriculum() -> Curriculum:
    lv, st, sj = levels(), streams(), subjects()
    check_codes([s for _, s in P.CURRICULUM], "code_streams")
    check_codes([lvl for lvl, _ in P.CURRICULUM], "code_levels")
    table = np.full((len(lv.codes), len(st) + 1), -1, dtype=np.int64)
    offsets, subject, hours, group = [0], [], [], []
    for k, ((level_code, stream_code), hours_by_subject) in enumerate(P.CURRICULUM.items()):
        check_codes(list(hours_by_subject), "code_subjects")
        cycle = lv.cycles[lv.index(level_code)]
        groups = P.GENERALIST_GROUPS.get(cycle, {})
        table[lv.index(level_code), st.index(stream_code) + 1 if stream_code else 0] = k
        for code, h in hours_by_subject.items():
            subject.append(sj.index(code))
            hours.append(h)
            group.append(sj.index(groups.get(code, code)))
        offsets.append(len(subject))
    return Curriculum(table, np.array(offsets), np.array(subject), np.array(hours), np.array(group))
