"""One region, year after year: the population moves on, and each year's entities are produced.

A region only depends on (seed, region, year): each year draws from its own numpy Generator seeded
with (seed, year, region), so regions can be generated independently and one at a time. A large region
is simulated in chunks (``synthetic.chunks``): one RegionSimulation per chunk, seeded with the
chunk's number too (chunk 0 with the region's seed), the codes drawn from the region's shared counters.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from synthetic import activity, codes, names, parent_access
from synthetic import parameters as P
from synthetic.calendar import school_days, school_year_label, second_semester_start
from synthetic.enrollment import NONE, Movements, enrollment_frame, movements, stints
from synthetic.exams import exam_results
from synthetic.population import (
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
from synthetic.reference import Region, cycles, levels
from synthetic.sampling import systematic_draw
from synthetic.schools import Classes, SchoolCodes, SchoolRegistry, consolidate_streams, form_classes
from synthetic.staff import Counter, TeacherPool, staff
from synthetic.timetables import timetables

# Stream of numbers for the Generator of the data and for the one of the faults.
# the timetables' placement of sessions and rooms draws from a stream of its own, so that the rest of
# the simulation does not depend on how the week is laid out
DATA_STREAM, FAULT_STREAM, TIMETABLE_STREAM = 0, 1, 2


def year_rng(
    seed: int, year: int, region_code: str, stream: int = DATA_STREAM, chunk: int = 0
) -> np.random.Generator:
    """The Generator of a region-year's stream (of a chunk of the region when ``chunk`` > 0)."""
    return np.random.default_rng([seed, year, int(region_code), stream, *([chunk] if chunk else [])])


@dataclass
class RegionCounters:
    """What the chunks of a region share so that their codes are unique in the region."""

    region: Region
    pupils: Counter = field(default_factory=Counter)
    teachers: Counter = field(default_factory=Counter)
    schools: SchoolCodes | None = None

    def __post_init__(self) -> None:
        if self.schools is None:
            self.schools = SchoolCodes(self.region)


# The parent-secret hashes (PBKDF2, the costliest per-pupil work) are computed on this thread while the
# region-year's other entities are simulated and written; hashlib releases the GIL while it hashes.
_HASHER = ThreadPoolExecutor(1, thread_name_prefix="parent-hashes")


@dataclass
class YearOutput:
    school_year: str
    frames: dict[str, pl.DataFrame]  # typed entity frames, contract column names
    secrets: pl.DataFrame  # student_code, secret: the plain parent access secrets (demo file only)
    # frames["pupils"].parent_secret_hash is null until hashes() (waits for the hashing thread) fills it
    pending_hashes: Callable[[], pl.Series] | None = None

    def pupils(self) -> pl.DataFrame:
        """The pupils frame with its parent-secret hashes."""
        frame = self.frames["pupils"]
        if self.pending_hashes is not None:
            frame = frame.with_columns(self.pending_hashes())
            self.frames["pupils"], self.pending_hashes = frame, None
        return frame


class RegionSimulation:
    """The state of one region (or chunk of a region, see ``synthetic.chunks``) across the years.

    ``chunk`` numbers the chunk within the region (its random streams); ``counters`` are the region's
    shared code counters (a chunk's region holds only its provinces, the counters know them all);
    ``private_share``: the region's private share by cycle (``population.regional_private_shares``,
    the same for every chunk of the region), the national shares when None."""

    def __init__(
        self,
        region: Region,
        pupils: int,
        seed: int,
        *,
        chunk: int = 0,
        counters: RegionCounters | None = None,
        private_share: dict[str, float] | None = None,
    ) -> None:
        self.region = region
        self.private_share = dict(private_share or P.PRIVATE_SHARE)
        self.seed = seed
        self.chunk = chunk
        self.counters = counters or RegionCounters(region)
        self.level_counts = region_level_counts(region, pupils)
        self.registry = SchoolRegistry(region, self.counters.schools)
        self.teachers = TeacherPool(region.code, self.counters.teachers)
        self.carry: Pupils | None = None  # pupils continuing into the next year
        self._secret: dict[int, str] = {}  # pupil number -> parent secret, for ever
        self._hash: dict[int, str] = {}  # pupil number -> its hash, once the hashing thread is done
        self._hashing: Future[None] | None = None

    def _numbers(self, count: int) -> int:
        return self.counters.pupils.take(count)

    def _population(self, rng: np.random.Generator, year: int) -> Pupils:
        lv = levels()
        if self.carry is None:
            counts = self.level_counts
            pupils = initial_population(
                rng, self.region, counts, year, self._numbers(int(counts.sum())), self.private_share
            )
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
            parts.append(
                entrants(rng, self.region, level_code, count, year, self._numbers(count), self.private_share)
            )
        return Pupils.concat(parts)

    def year(self, year: int) -> YearOutput:
        """Simulate school year ``year``-(``year``+1) and return its entity frames."""
        if self._hashing is not None:  # the previous year's hashes
            self._hashing.result()
        rng = year_rng(self.seed, year, self.region.code, chunk=self.chunk)
        label = school_year_label(year)
        first_year = self.carry is None  # no earlier export: the 1BAC regional exam is carried
        pupils = self._population(rng, year)
        need = np.flatnonzero(pupils.school < 0)
        pupils.school[need] = self.registry.assign(
            rng, pupils.province[need], pupils.cycle_index()[need], pupils.private[need], pupils.rural[need]
        )
        pupils.stream = consolidate_streams(pupils.school, pupils.level, pupils.stream, P.MIN_STREAM_PUPILS)
        pupil_class, classes = form_classes(rng, self.registry, pupils.school, pupils.level, pupils.stream)

        ctx = self._context(label, pupils, classes)
        days = ctx.days
        secrets, pending = self._parent_access(pupils, ctx.student_codes)
        m = movements(rng, pupils, pupil_class, classes, self.registry, len(days))
        st = stints(m, pupil_class, classes, len(days))
        p_daily = activity.daily_absence_probability(pupils, self.registry, pupils.school)
        class_pupils = np.bincount(pupil_class, minlength=len(classes))
        teachers, assignments = staff(rng, classes, self.registry, self.teachers, label, class_pupils)
        silent = activity.silent_class_days(rng, ctx, classes, self.registry)
        absences = activity.absences(rng, ctx, pupils, st, classes, self.registry, p_daily, silent)
        grades, mean_grade = activity.grades(rng, ctx, pupils, st, classes, self.registry, p_daily)
        frames = {
            "schools": self.registry.frame(label),
            "classes": classes.frame(label, self.region.code, self.registry),
            "pupils": self._pupil_frame(pupils, ctx),
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
            "roll_calls": activity.roll_calls(ctx, st, classes, silent),
            "grades": grades,
            "timetables": timetables(
                rng,
                year_rng(self.seed, year, self.region.code, TIMETABLE_STREAM, chunk=self.chunk),
                classes,
                ctx.school_codes,
                assignments,
                label,
                self.region.code,
            ),
            "exam_results": exam_results(
                rng, pupils, m, ctx.school_codes, ctx.student_codes, label, self.region.code, first_year
            ),
        }
        self.carry = self._next_year(rng, pupils, m, mean_grade)
        order = np.argsort(ctx.student_codes.to_numpy(), kind="stable")
        secrets_frame = pl.DataFrame(
            {"student_code": ctx.student_codes, "secret": pl.Series(secrets, dtype=pl.String)}
        )[order]
        numbers = pupils.number.tolist()

        def hashes() -> pl.Series:
            pending.result()
            return pl.Series("parent_secret_hash", [self._hash[k] for k in numbers], dtype=pl.String)[order]

        return YearOutput(label, frames, secrets_frame, hashes)

    def _context(self, label: str, pupils: Pupils, classes: Classes) -> activity.YearContext:
        """What the activity of school year ``label`` shares: its school days, the first day of the second
        semester, and the pupils', classes' and schools' codes."""
        days = np.array(school_days(label), dtype="datetime64[D]")
        second = int(np.searchsorted(days, np.datetime64(second_semester_start(label), "D")))
        return activity.YearContext(
            school_year=label,
            region_code=self.region.code,
            days=days,
            day_series=pl.Series("day", days).cast(pl.Date),
            second_semester=second,
            student_codes=codes.student_codes(self.region.code, pupils.number),
            class_codes=classes.code,
            school_codes=pl.Series(self.registry.code, dtype=pl.String),
        )

    def _parent_access(self, pupils: Pupils, student_codes: pl.Series) -> tuple[list[str], Future[None]]:
        """Each pupil's parent secret (drawn once per pupil: they never change), and the hashing of the new
        pupils' secrets started on the hashing thread."""
        numbers = pupils.number.tolist()
        todo = [i for i, k in enumerate(numbers) if k not in self._secret]
        new_numbers = [numbers[i] for i in todo]
        new_secrets, salts = parent_access.secrets_and_salts(self.seed, student_codes.gather(todo).to_list())
        self._secret.update(zip(new_numbers, new_secrets, strict=True))

        def work() -> None:
            self._hash.update(zip(new_numbers, parent_access.hashes(new_secrets, salts), strict=True))

        self._hashing = _HASHER.submit(work)
        return [self._secret[k] for k in numbers], self._hashing

    def _pupil_frame(self, pupils: Pupils, ctx: activity.YearContext) -> pl.DataFrame:
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
                "school_year": pl.repeat(ctx.school_year, n, dtype=pl.String, eager=True),
                "region_code": pl.repeat(ctx.region_code, n, dtype=pl.String, eager=True),
                "student_code": ctx.student_codes,
                "last_name_ar": family["ar"].gather(pupils.last_name),
                "first_name_ar": given("ar", pupils.female, pupils.first_name),
                "last_name_fr": family["fr"].gather(pupils.last_name),
                "first_name_fr": given("fr", pupils.female, pupils.first_name),
                "sex": pl.Series(np.where(pupils.female, "F", "M"), dtype=pl.String),
                "birth_date": pl.Series(pupils.birth.astype("datetime64[D]")).cast(pl.Date),
                "guardian_name": pl.select(pl.when(has_guardian).then(guardian)).to_series(),
                "parent_secret_hash": pl.repeat(None, n, dtype=pl.String, eager=True),  # YearOutput.pupils
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
        level_rate = np.array([P.REPETITION_RATE[c] for c in lv.codes])
        sex_factor = np.where(pupils.female, P.REPETITION_FACTOR_GIRL, P.REPETITION_FACTOR_BOY)
        rate = level_rate[nxt.level] * sex_factor[stay]
        weight = np.exp(-P.REPETITION_GRADE_SLOPE * (score - 10.0))
        mean_weight = np.bincount(nxt.level, weights=weight, minlength=len(lv.codes)) / np.maximum(
            np.bincount(nxt.level, minlength=len(lv.codes)), 1
        )
        # the cap at 0.95 cuts the tail of weak pupils, and grades differ by sex: scale each level and sex
        # up or down until its mean rate is met again
        p_repeat = rate * weight / mean_weight[nxt.level]
        group = nxt.level * 2 + nxt.female
        all_group = pupils.level * 2 + pupils.female
        n_groups = 2 * len(lv.codes)
        counts = np.maximum(np.bincount(group, minlength=n_groups), 1)
        # REPETITION_RATE is a UIS rate: repeaters in t+1 over the pupils enrolled in t, in-year dropouts
        # included; only the pupils who stayed can repeat, so the level's repeaters are drawn among them
        enrolled_rate = level_rate[pupils.level] * sex_factor
        target = np.bincount(all_group, weights=enrolled_rate, minlength=n_groups) / counts
        boost = np.ones(n_groups)
        for _ in range(8):
            got = np.bincount(group, weights=np.minimum(0.95, p_repeat * boost[group]), minlength=n_groups)
            boost *= np.where(got > 0, target * counts / np.maximum(got, 1e-12), 1.0)
        repeat = systematic_draw(rng, np.minimum(0.95, p_repeat * boost[group]), group)
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
        self._change_cycle(rng, nxt, np.flatnonzero(changes_cycle), next_level, self.private_share)
        nxt.level = np.where(promoted, next_level, nxt.level)
        nxt.school = np.where(changes_cycle, -1, nxt.school)
        return nxt.take(np.flatnonzero(~leaves))

    @staticmethod
    def _change_cycle(
        rng: np.random.Generator,
        pupils: Pupils,
        who: np.ndarray,
        next_level: np.ndarray,
        private_share: dict[str, float],
    ) -> None:
        """Sector and area preferences move towards the next cycle's shares (the region's private shares;
        fewer private and rural pupils in secondary): a pupil keeps a private (rural) school with the
        ratio of the shares, or moves to one with the probability that makes up for a higher share."""
        cyc_names = cycles()
        now = pupils.cycle_index()[who]
        then = level_cycle_index()[next_level[who]]
        for flag, share in (
            ("private", np.array([private_share.get(c, 0.0) for c in cyc_names])),
            ("rural", np.array([P.RURAL_FACTOR_BY_CYCLE[c] for c in cyc_names]) * 0.4),
        ):
            values = getattr(pupils, flag)
            a, b = share[now], share[then]
            keep = np.where(a > 0, np.minimum(1.0, b / np.maximum(a, 1e-12)), 0.0)
            join = np.where(a < 1, np.maximum(0.0, (b - a) / np.maximum(1.0 - a, 1e-12)), 0.0)
            u = rng.random(len(who))
            values[who] = np.where(values[who], u < keep, u < join)
