"""One region, year after year: the population moves on, and each year's entities are produced.

A region only depends on (seed, region, year): each year draws from its own numpy Generator seeded
with (seed, year, region), so regions can be generated independently and one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from massar.synthetic import activity, codes, names, parent_access
from massar.synthetic import parameters as P
from massar.synthetic.calendar import school_days, school_year_label, second_semester_start
from massar.synthetic.enrollment import NONE, Movements, enrollment_frame, movements, stints
from massar.synthetic.exams import exam_results
from massar.synthetic.population import (
    GUARDIAN_FATHER,
    GUARDIAN_MOTHER,
    Pupils,
    entrants,
    initial_population,
    level_cycle_index,
    next_streams,
    region_level_counts,
    stream_on_entry,
)
from massar.synthetic.reference import Region, cycles, levels
from massar.synthetic.schools import SchoolRegistry, consolidate_streams, form_classes
from massar.synthetic.staff import TeacherPool, staff
from massar.synthetic.timetables import timetables

# Stream of numbers for the Generator of the data and for the one of the faults.
DATA_STREAM, FAULT_STREAM = 0, 1


def year_rng(seed: int, year: int, region_code: str, stream: int = DATA_STREAM) -> np.random.Generator:
    return np.random.default_rng([seed, year, int(region_code), stream])


@dataclass
class YearOutput:
    school_year: str
    frames: dict[str, pl.DataFrame]  # typed entity frames, contract column names
    secrets: pl.DataFrame  # student_code, secret: the plain parent access secrets (demo file only)


class RegionSimulation:
    """The state of one region across the generated years."""

    def __init__(self, region: Region, pupils: int, seed: int) -> None:
        self.region = region
        self.seed = seed
        self.level_counts = region_level_counts(region, pupils)
        self.registry = SchoolRegistry(region)
        self.teachers = TeacherPool(region.code)
        self.next_number = 0
        self.carry: Pupils | None = None  # pupils continuing into the next year
        self._access: dict[int, tuple[str, str]] = {}  # pupil number -> (secret, hash), for ever

    def _numbers(self, count: int) -> int:
        first = self.next_number
        self.next_number += count
        return first

    def _population(self, rng: np.random.Generator, year: int) -> Pupils:
        lv = levels()
        if self.carry is None:
            counts = self.level_counts
            pupils = initial_population(rng, self.region, counts, year, self._numbers(int(counts.sum())))
            self.registry.open_for(rng, pupils.province, pupils.cycle_index(), pupils.private, pupils.rural)
            return pupils
        # New pupils enter at PS1 and 1AP (without preschool) to bring preschool and primary back to their
        # first-year size: the cycles above are fed by promotions.
        pupils = self.carry
        parts = [pupils]
        cyc = pupils.cycle_index()
        for level_code in ("PS1", "1AP"):
            cycle = cycles().index(lv.cycles[lv.index(level_code)])
            target = int(self.level_counts[np.array(lv.of_cycle(lv.cycles[lv.index(level_code)]))].sum())
            count = max(0, target - int((cyc == cycle).sum()))
            parts.append(entrants(rng, self.region, level_code, count, year, self._numbers(count)))
        return Pupils.concat(parts)

    def year(self, year: int) -> YearOutput:
        """Simulate school year ``year``-(``year``+1) and return its entity frames."""
        rng = year_rng(self.seed, year, self.region.code)
        label = school_year_label(year)
        pupils = self._population(rng, year)
        need = np.flatnonzero(pupils.school < 0)
        pupils.school[need] = self.registry.assign(
            rng, pupils.province[need], pupils.cycle_index()[need], pupils.private[need], pupils.rural[need]
        )
        pupils.stream = consolidate_streams(pupils.school, pupils.level, pupils.stream, P.MIN_STREAM_PUPILS)
        pupil_class, classes = form_classes(rng, self.registry, pupils.school, pupils.level, pupils.stream)

        days = np.array(school_days(label), dtype="datetime64[D]")
        second = int(np.searchsorted(days, np.datetime64(second_semester_start(label), "D")))
        ctx = activity.YearContext(
            school_year=label,
            region_code=self.region.code,
            days=days,
            day_series=pl.Series("day", days).cast(pl.Date),
            second_semester=second,
            student_codes=codes.student_codes(self.region.code, pupils.number),
            class_codes=classes.code,
            school_codes=pl.Series(self.registry.code, dtype=pl.String),
        )
        m = movements(rng, pupils, pupil_class, classes, self.registry, len(days))
        st = stints(m, pupil_class, classes, len(days))
        p_daily = activity.daily_absence_probability(pupils, self.registry, pupils.school)
        teachers, assignments = staff(rng, classes, self.registry, self.teachers, label)
        absences = activity.absences(rng, ctx, pupils, st, classes, self.registry, p_daily)
        grades, mean_grade = activity.grades(rng, ctx, pupils, st, classes, self.registry, p_daily)
        secrets, hashes = self._parent_access(pupils, ctx.student_codes)
        frames = {
            "schools": self.registry.frame(label),
            "classes": classes.frame(label, self.region.code, self.registry),
            "pupils": self._pupil_frame(pupils, ctx, hashes),
            "enrollments": enrollment_frame(
                pupils,
                pupil_class,
                m,
                classes,
                self.registry,
                ctx.student_codes,
                ctx.day_series,
                label,
                self.region.code,
            ),
            "teachers": teachers,
            "teaching_assignments": assignments,
            "absences": absences,
            "grades": grades,
            "timetables": timetables(rng, classes, ctx.school_codes, assignments, label, self.region.code),
            "exam_results": exam_results(
                rng, pupils, m, ctx.school_codes, ctx.student_codes, label, self.region.code
            ),
        }
        self.carry = self._next_year(rng, pupils, m, mean_grade)
        order = np.argsort(ctx.student_codes.to_numpy(), kind="stable")
        secrets_frame = pl.DataFrame(
            {"student_code": ctx.student_codes, "secret": pl.Series(secrets, dtype=pl.String)}
        )[order]
        return YearOutput(label, frames, secrets_frame)

    def _parent_access(self, pupils: Pupils, student_codes: pl.Series) -> tuple[list[str], list[str]]:
        """Each pupil's parent secret and its hash, computed once per pupil (they never change)."""
        numbers = pupils.number.tolist()
        todo = [i for i, k in enumerate(numbers) if k not in self._access]
        if todo:
            codes_todo = student_codes.gather(todo).to_list()
            new_secrets, new_hashes = parent_access.secrets_and_hashes(self.seed, codes_todo)
            for i, s, h in zip(todo, new_secrets, new_hashes, strict=True):
                self._access[numbers[i]] = (s, h)
        pairs = [self._access[k] for k in numbers]
        return [s for s, _ in pairs], [h for _, h in pairs]

    def _pupil_frame(self, pupils: Pupils, ctx: activity.YearContext, hashes: list[str]) -> pl.DataFrame:
        n = len(pupils)
        male = pl.DataFrame(names.MALE_FIRST_NAMES, schema=["fr", "ar"], orient="row")
        female = pl.DataFrame(names.FEMALE_FIRST_NAMES, schema=["fr", "ar"], orient="row")
        family = pl.DataFrame(names.FAMILY_NAMES, schema=["fr", "ar"], orient="row")

        def given(which: str, is_female: np.ndarray, index: np.ndarray) -> pl.Series:
            # female names are stored after the male ones
            both = pl.concat([male[which], female[which]])
            return both.gather(np.where(is_female, len(male) + index, index))

        guardian_female = pupils.guardian_kind == GUARDIAN_MOTHER
        guardian = (
            given("fr", guardian_female, pupils.guardian_first)
            + " "
            + family["fr"].gather(pupils.guardian_last)
        )
        has_guardian = pl.Series((pupils.guardian_kind == GUARDIAN_FATHER) | guardian_female)
        order = np.argsort(ctx.student_codes.to_numpy(), kind="stable")
        frame = pl.DataFrame(
            {
                "school_year": pl.Series([ctx.school_year] * n, dtype=pl.String),
                "region_code": pl.Series([ctx.region_code] * n, dtype=pl.String),
                "student_code": ctx.student_codes,
                "last_name_ar": family["ar"].gather(pupils.last_name),
                "first_name_ar": given("ar", pupils.female, pupils.first_name),
                "last_name_fr": family["fr"].gather(pupils.last_name),
                "first_name_fr": given("fr", pupils.female, pupils.first_name),
                "sex": pl.Series(np.where(pupils.female, "F", "M"), dtype=pl.String),
                "birth_date": pl.Series(pupils.birth.astype("datetime64[D]")).cast(pl.Date),
                "guardian_name": pl.select(pl.when(has_guardian).then(guardian)).to_series(),
                "parent_secret_hash": pl.Series(hashes, dtype=pl.String),
            }
        )
        return frame[order]

    def _next_year(
        self, rng: np.random.Generator, pupils: Pupils, m: Movements, mean_grade: np.ndarray
    ) -> Pupils:
        """Who continues next year, at which level, stream and school."""
        lv = levels()
        stay = np.flatnonzero(m.dropout == NONE)
        nxt = pupils.take(stay)
        nxt.school = m.final_school[stay]
        nxt.new[:] = False
        mean = mean_grade[stay]
        score = np.where(np.isnan(mean), 10.0 + 2.5 * nxt.ability, mean)
        rate = np.array([P.REPETITION_RATE[c] for c in lv.codes])[nxt.level]
        rate = rate * np.where(nxt.female, P.REPETITION_FACTOR_GIRL, P.REPETITION_FACTOR_BOY)
        weight = np.exp(-P.REPETITION_GRADE_SLOPE * (score - 10.0))
        mean_weight = np.bincount(nxt.level, weights=weight, minlength=len(lv.codes)) / np.maximum(
            np.bincount(nxt.level, minlength=len(lv.codes)), 1
        )
        # the cap at 0.95 cuts the tail of weak pupils: scale each level up until the mean rate is met again
        p_repeat = rate * weight / mean_weight[nxt.level]
        counts = np.maximum(np.bincount(nxt.level, minlength=len(lv.codes)), 1)
        target = np.bincount(nxt.level, weights=rate, minlength=len(lv.codes)) / counts
        boost = np.ones(len(lv.codes))
        for _ in range(8):
            got = np.bincount(
                nxt.level, weights=np.minimum(0.95, p_repeat * boost[nxt.level]), minlength=len(lv.codes)
            )
            boost *= np.where(got > 0, target * counts / np.maximum(got, 1e-12), 1.0)
        repeat = rng.random(len(nxt)) < np.minimum(0.95, p_repeat * boost[nxt.level])
        next_level = lv.next_index[nxt.level]
        exit_rate = np.array([P.END_OF_CYCLE_EXIT.get(c, 0.0) for c in lv.codes])[nxt.level]
        leaves = ~repeat & ((next_level < 0) | (rng.random(len(nxt)) < exit_rate))
        promoted = ~repeat & ~leaves
        changes_cycle = promoted & lv.final_of_cycle[nxt.level]
        for code in ("TC", "1BAC", "2BAC"):
            into = promoted & (next_level == lv.index(code))
            if code == "TC":
                nxt.stream[into] = stream_on_entry(rng, "TC", int(into.sum()))
            else:
                nxt.stream[into] = next_streams(rng, nxt.stream[into], code)
        self._change_cycle(rng, nxt, np.flatnonzero(changes_cycle), next_level)
        nxt.level = np.where(promoted, next_level, nxt.level)
        nxt.school = np.where(changes_cycle, -1, nxt.school)
        return nxt.take(np.flatnonzero(~leaves))

    @staticmethod
    def _change_cycle(
        rng: np.random.Generator, pupils: Pupils, who: np.ndarray, next_level: np.ndarray
    ) -> None:
        """Sector and area preferences move towards the next cycle's shares (fewer private and rural
        pupils in secondary): a pupil keeps a private (rural) school with the ratio of the shares, or
        moves to one with the probability that makes up for a higher share."""
        cyc_names = cycles()
        now = pupils.cycle_index()[who]
        then = level_cycle_index()[next_level[who]]
        for flag, share in (
            ("private", np.array([P.PRIVATE_SHARE[c] for c in cyc_names])),
            ("rural", np.array([P.RURAL_FACTOR_BY_CYCLE[c] for c in cyc_names]) * 0.4),
        ):
            values = getattr(pupils, flag)
            a, b = share[now], share[then]
            keep = np.minimum(1.0, b / a)
            join = np.maximum(0.0, (b - a) / (1.0 - a))
            u = rng.random(len(who))
            values[who] = np.where(values[who], u < keep, u < join)
