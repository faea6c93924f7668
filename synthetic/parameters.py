"""Every number the synthetic source uses, with the reference figure it comes from.

References are the files of the shared reference data (see its SOURCES.md):
``education_stats/DERIVED_estimate_pupils_by_region_and_cycle.csv`` (DERIVED: not official),
``education_stats/morocco_education_official_figures_from_press.csv`` ("press" below, cited by its
school year and indicator) and ``rules/MASSAR_AND_ASSESSMENT_RULES.md`` ("rules"). Numbers marked
UNVERIFIED are plausible guesses with no source: change them freely.
"""

from __future__ import annotations

# --- Pupils by region and cycle ------------------------------------------------------------------
# DERIVED_estimate_pupils_by_region_and_cycle.csv: est_primary, est_college, est_qualifiant per region
# (HCP 2022-23 national totals apportioned by RGPH-2024 population by age). Copied here so that the
# package does not depend on the shared folder. Regions are weighted by est_total_3_cycles.
REGION_PUPIL_ESTIMATES: dict[str, tuple[float, float, float]] = {
    "01": (516500.0, 220800.0, 125600.0),
    "02": (285900.0, 126300.0, 70200.0),
    "03": (570300.0, 252200.0, 149500.0),
    "04": (625700.0, 274300.0, 159400.0),
    "05": (337800.0, 151500.0, 84600.0),
    "06": (930300.0, 408000.0, 236600.0),
    "07": (659300.0, 293600.0, 165900.0),
    "08": (240900.0, 106900.0, 58000.0),
    "09": (381000.0, 170200.0, 98500.0),
    "10": (54400.0, 23700.0, 13200.0),
    "11": (56200.0, 23300.0, 13100.0),
    "12": (21700.0, 9000.0, 5400.0),
}

# National pupils by cycle. press 2022-2023 pupils_enrolled: primary 4.68M, college 2.06M, qualifiant
# 1.18M (HCP); preschool 931,393 (2022-23) and ~984,000 (2024-25 forecast), taken as 0.95M. Total ~8.87M
# (press 2022-2023 all_incl_preschool: 8,863,234). A region's preschool count is its primary estimate
# times PRESCHOOL_PER_PRIMARY.
CYCLE_TOTALS: dict[str, float] = {
    "preschool": 950_000.0,
    "primary": 4_680_000.0,
    "lower_secondary": 2_060_000.0,
    "upper_secondary": 1_180_000.0,
}
PRESCHOOL_PER_PRIMARY = CYCLE_TOTALS["preschool"] / CYCLE_TOTALS["primary"]

# Share of girls by cycle. press 2022-2023: preschool 49.5%, primary 48.1%, college 47.5%, all 48.7%;
# qualifiant not given: 51% chosen so that the total is ~48.7% (girls are 52% of bac candidates in
# Casablanca-Settat, press 2024 bac_candidates).
GIRLS_SHARE: dict[str, float] = {
    "preschool": 0.495,
    "primary": 0.481,
    "lower_secondary": 0.475,
    "upper_secondary": 0.51,
}

# Share of pupils in private schools by cycle. press 2022-2023: preschool private 222,795 of 931,393
# (24%); primary 82.2% public (17.8% private); primary+secondary private share 13% (press 2023-2024
# rentrée forecast: 1,038,528 private), which leaves ~7% for both secondary cycles.
PRIVATE_SHARE: dict[str, float] = {
    "preschool": 0.24,
    "primary": 0.178,
    "lower_secondary": 0.07,
    "upper_secondary": 0.07,
}
# Private schools are almost all urban (UNVERIFIED): a rural pupil weighs this much in the draw of a
# cycle's private pupils, an urban one the cycle's share over its urban share.
PRIVATE_SHARE_RURAL = 0.01
# Private pupils by region: each cycle's national private pupils are a quota split between the regions
# (population.regional_private_shares). A region whose quota would be under this many pupils gets none
# and the larger regions share it (a private school needs pupils; UNVERIFIED), so long as no region goes
# above PRIVATE_SHARE_MAX_FACTOR times the national share of the cycle (UNVERIFIED; press 2023-2024:
# Fès-Meknès ~14.4 % private against 13 % nationally, the big urban regions are above the mean). 80 pupils
# are about one class per level of a private collège (3 x 27): fewer make private classes of a few pupils.
PRIVATE_MIN_PUPILS_PER_REGION = 80
PRIVATE_SHARE_MAX_FACTOR = 2.5

# Rural share of pupils. press 2022-2023: 3,527,462 rural of 8,863,234 (39.8%). Split (UNVERIFIED) by
# province type (prefectures are mostly urban) and by cycle (secondary schools are mostly in towns);
# the product gives ~40% nationally.
RURAL_SHARE_BY_PROVINCE_TYPE: dict[str, float] = {"prefecture": 0.10, "province": 0.56}
RURAL_FACTOR_BY_CYCLE: dict[str, float] = {
    "preschool": 1.0,
    "primary": 1.12,
    "lower_secondary": 0.9,
    "upper_secondary": 0.62,
}

# --- Schools and classes -------------------------------------------------------------------------
# Target pupils per school by (cycle, sector, area). press 2023-2024: 12,133 public schools for
# 7.39M public pupils (~610 per school, 56% of schools rural); sizes per cycle UNVERIFIED.
SCHOOL_SIZE: dict[tuple[str, str, str], int] = {
    ("preschool", "public", "urban"): 75,
    ("preschool", "public", "rural"): 40,
    ("preschool", "private", "urban"): 120,
    ("preschool", "private", "rural"): 60,
    ("primary", "public", "urban"): 650,
    ("primary", "public", "rural"): 260,
    ("primary", "private", "urban"): 420,
    ("primary", "private", "rural"): 200,
    ("lower_secondary", "public", "urban"): 950,
    ("lower_secondary", "public", "rural"): 600,
    ("lower_secondary", "private", "urban"): 320,
    ("lower_secondary", "private", "rural"): 200,
    ("upper_secondary", "public", "urban"): 1000,
    ("upper_secondary", "public", "rural"): 650,
    ("upper_secondary", "private", "urban"): 260,
    ("upper_secondary", "private", "rural"): 150,
}
# A school opens only where it can fill its classes. Its floor is the cycle's number of levels times
# SCHOOL_CLASS_FLOOR pupils (per level: one class of the cycle's smallest plausible size; two streams of 30
# in upper secondary, whose levels split by stream). A (cycle, sector, area) of a region with a floor of
# pupils gets max(1, round(pupils / SCHOOL_SIZE)) schools, in its largest cells (province, cycle, sector,
# area) first, a cell taking at most its pupils // floor; the pupils of the other cells join the region's
# schools of their kind (SchoolRegistry.open_for, assign). Small schools make small classes (a 100-pupil
# primary school has six levels of ~17 pupils), while the press figures (reference-data
# morocco_education_official_figures_from_press.csv) give a third of public collège classes with 37-40
# pupils and 16 % above 40, primary 9.1 % with 37-40 and 3.2 % above 40 (8.8 % above 40 in 2017-2018).
# The price: a small sample covers fewer provinces (30 of 75 at 8,000 pupils, docs/synthetic.md).
# Values UNVERIFIED (chosen so that the marts' class sizes approach the press shares at 8,000-20,000 pupils).
SCHOOL_CLASS_FLOOR: dict[str, int] = {
    "preschool": 25,
    "primary": 30,
    "lower_secondary": 35,
    "upper_secondary": 60,
}
# Rural schools are smaller (multi-grade classes, satellite units): press 2023-2024, 56 % of the 12,133
# public schools are rural for about 40 % of the pupils (press 2022-2023: 3,527,462 rural of 8,863,234),
# so a rural school has about half the pupils of an urban one (0.40 / 0.56 against 0.60 / 0.44): a rural
# school's floor is this share of the cycle's floor. With the urban floor a small sample would send its rural
# pupils to town schools (20 % of the pupils in rural schools at 5,000 pupils instead of ~40 %).
SCHOOL_FLOOR_RURAL_FACTOR = 0.5
# A (cycle, sector, area) with a school's floor of pupils in a region (above) gets at least one school
# there, so that area shares hold; a (cycle, sector) with at least MIN_PUPILS_PER_KIND pupils in a region
# gets at least one school there whatever its size, so that sector shares hold (a private pupil is never
# placed in a public school); smaller groups join other schools.
MIN_PUPILS_PER_KIND = 12
# A school offers an upper-secondary stream at a level only when at least this many pupils follow it
# (about a class; UNVERIFIED); the others join the school's largest stream of that level (small lycées
# offer few streams; press: 22.9 % of public qualifiant classes above 40 pupils in 2017-2018).
MIN_STREAM_PUPILS = 28
# Class sizes (UNVERIFIED, "25-40" in the brief; private and rural classes are smaller).
CLASS_SIZE_TARGET: dict[tuple[str, str], int] = {
    ("public", "urban"): 36,
    ("public", "rural"): 29,
    ("private", "urban"): 27,
    ("private", "rural"): 25,
}
PRESCHOOL_CLASS_SIZE = 25
# Public secondary classes are fuller than primary ones: press figures (reference-data
# morocco_education_official_figures_from_press.csv) give public classes of 37-40 pupils for about a third
# of collège classes and 16 % of them above 41 (9.1 % and 3.2 % in primary), and 22.9 % of qualifiant
# classes above 40 in 2018. Pupils added to the public targets above by cycle, and the largest class by
# cycle (collège classes reach 50; primary classes above 40 are 3.2-8.8 % of public ones: up to 45).
CLASS_SIZE_PUBLIC_EXTRA: dict[str, int] = {"lower_secondary": 3, "upper_secondary": 3}
CLASS_SIZE_MAX: dict[str, int] = {
    "preschool": 42,
    "primary": 45,
    "lower_secondary": 48,
    "upper_secondary": 46,
}

# School effect on grades (UNVERIFIED): N(0, SCHOOL_EFFECT_SD) + bonus for private / urban schools.
SCHOOL_EFFECT_SD = 0.8
SCHOOL_EFFECT_PRIVATE = 1.0
SCHOOL_EFFECT_URBAN = 0.3
# Absence recording gaps (brief: "some schools have days recording nothing"): share of school days
# on which a school records no absence; most schools rarely skip, some skip often (UNVERIFIED).
RECORDING_GAP_COMMON = 0.02
RECORDING_GAP_SLOPPY = 0.25
RECORDING_GAP_SLOPPY_SHARE = 0.15
# Share of school days on which one class teacher takes no roll call while the rest of the school does
# (the roll_calls entity: no row for the class that day, and no absence either) (UNVERIFIED).
RECORDING_GAP_CLASS = 0.01

# --- Upper-secondary streams (codes of the code_streams seed; shares UNVERIFIED) -----------------------
STREAMS_ON_ENTRY: dict[str, dict[str, float]] = {
    "TC": {"SC": 0.62, "LET": 0.30, "TECH": 0.08},
    "1BAC": {"SC": 0.42, "SM": 0.06, "LET": 0.32, "ECO": 0.12, "TECH": 0.08},
    "2BAC": {"PC": 0.20, "SVT": 0.24, "SM": 0.06, "LET": 0.32, "ECO": 0.11, "TECH": 0.07},
}
# Stream of the next level given the current stream (promotion).
STREAM_TRANSITIONS: dict[str, dict[str, float]] = {
    "SC": {"SC": 0.72, "SM": 0.10, "ECO": 0.12, "TECH": 0.06},  # TC SC -> 1BAC
    "LET": {"LET": 1.0},
    "TECH": {"TECH": 1.0},
    "SM": {"SM": 1.0},
    "ECO": {"ECO": 1.0},
}
# 1BAC SC -> 2BAC PC or SVT.
STREAM_TRANSITIONS_2BAC: dict[str, dict[str, float]] = {"SC": {"PC": 0.45, "SVT": 0.55}}

# --- Curriculum: weekly hours per subject (code_subjects seed codes; UNVERIFIED, plausible) -------------
_PRIMARY_LOW = {"AR": 10.0, "FR": 6.0, "MATH": 5.0, "SCI": 2.0, "ISL": 2.5, "ART": 1.5, "EPS": 2.0}
_PRIMARY_HIGH = {"AR": 8.0, "FR": 7.0, "MATH": 5.0, "SCI": 2.0, "ISL": 2.0, "HG": 2.0, "ART": 1.5, "EPS": 1.5}
_COLLEGE = {
    "AR": 5.0, "FR": 6.0, "EN": 2.0, "MATH": 5.0, "PC": 2.0, "SVT": 2.0,
    "ISL": 2.0, "HG": 3.0, "INFO": 1.0, "EPS": 3.0,
}  # fmt: skip
CURRICULUM: dict[tuple[str, str], dict[str, float]] = {
    ("PS1", ""): {"AR": 12.0, "FR": 4.0, "MATH": 4.0, "ART": 3.0, "EPS": 2.0},
    ("PS2", ""): {"AR": 12.0, "FR": 4.0, "MATH": 4.0, "ART": 3.0, "EPS": 2.0},
    ("1AP", ""): _PRIMARY_LOW,
    ("2AP", ""): _PRIMARY_LOW,
    ("3AP", ""): _PRIMARY_HIGH,
    ("4AP", ""): _PRIMARY_HIGH,
    ("5AP", ""): _PRIMARY_HIGH,
    ("6AP", ""): _PRIMARY_HIGH,
    ("1AC", ""): _COLLEGE,
    ("2AC", ""): _COLLEGE,
    ("3AC", ""): _COLLEGE,
    ("TC", "SC"): {
        "AR": 2.0,
        "FR": 4.0,
        "EN": 3.0,
        "MATH": 5.0,
        "PC": 4.0,
        "SVT": 3.0,
        "ISL": 2.0,
        "HG": 2.0,
        "PHILO": 2.0,
        "INFO": 2.0,
        "EPS": 2.0,
    },
    ("TC", "LET"): {
        "AR": 5.0,
        "FR": 4.0,
        "EN": 4.0,
        "MATH": 2.0,
        "PC": 1.0,
        "SVT": 1.0,
        "ISL": 2.0,
        "HG": 4.0,
        "PHILO": 2.0,
        "INFO": 1.0,
        "EPS": 2.0,
    },
    ("TC", "TECH"): {
        "AR": 2.0,
        "FR": 4.0,
        "EN": 3.0,
        "MATH": 5.0,
        "PC": 4.0,
        "SVT": 1.0,
        "ISL": 2.0,
        "HG": 2.0,
        "PHILO": 2.0,
        "INFO": 3.0,
        "EPS": 2.0,
    },
    ("1BAC", "SC"): {
        "AR": 2.0,
        "FR": 4.0,
        "EN": 3.0,
        "MATH": 5.0,
        "PC": 5.0,
        "SVT": 5.0,
        "ISL": 2.0,
        "HG": 2.0,
        "PHILO": 2.0,
        "EPS": 2.0,
    },
    ("1BAC", "SM"): {
        "AR": 2.0,
        "FR": 4.0,
        "EN": 3.0,
        "MATH": 9.0,
        "PC": 5.0,
        "SVT": 2.0,
        "ISL": 2.0,
        "HG": 2.0,
        "PHILO": 2.0,
        "EPS": 2.0,
    },
    ("1BAC", "LET"): {
        "AR": 5.0,
        "FR": 4.0,
        "EN": 4.0,
        "MATH": 1.0,
        "ISL": 2.0,
        "HG": 4.0,
        "PHILO": 3.0,
        "EPS": 2.0,
    },
    ("1BAC", "ECO"): {
        "AR": 2.0,
        "FR": 4.0,
        "EN": 3.0,
        "MATH": 4.0,
        "ISL": 2.0,
        "HG": 2.0,
        "PHILO": 2.0,
        "INFO": 3.0,
        "EPS": 2.0,
    },
    ("1BAC", "TECH"): {
        "AR": 2.0,
        "FR": 4.0,
        "EN": 3.0,
        "MATH": 6.0,
        "PC": 6.0,
        "ISL": 2.0,
        "HG": 2.0,
        "PHILO": 2.0,
        "INFO": 3.0,
        "EPS": 2.0,
    },
    ("2BAC", "PC"): {"FR": 4.0, "EN": 3.0, "MATH": 7.0, "PC": 8.0, "SVT": 5.0, "PHILO": 2.0, "EPS": 2.0},
    ("2BAC", "SVT"): {"FR": 4.0, "EN": 3.0, "MATH": 7.0, "PC": 5.0, "SVT": 7.0, "PHILO": 2.0, "EPS": 2.0},
    ("2BAC", "SM"): {"FR": 4.0, "EN": 3.0, "MATH": 10.0, "PC": 7.0, "SVT": 2.0, "PHILO": 2.0, "EPS": 2.0},
    ("2BAC", "LET"): {"AR": 5.0, "FR": 4.0, "EN": 4.0, "ISL": 3.0, "HG": 4.0, "PHILO": 4.0, "EPS": 2.0},
    ("2BAC", "ECO"): {"FR": 4.0, "EN": 3.0, "MATH": 4.0, "HG": 2.0, "PHILO": 2.0, "INFO": 2.0, "EPS": 2.0},
    ("2BAC", "TECH"): {"FR": 4.0, "EN": 3.0, "MATH": 8.0, "PC": 8.0, "INFO": 4.0, "PHILO": 2.0, "EPS": 2.0},
}
# Cycles whose pupils get grades (preschool is not marked).
GRADED_CYCLES = ("primary", "lower_secondary", "upper_secondary")

# --- Teachers ------------------------------------------------------------------------------------
# Preschool and primary teachers are generalists: an "Arabic-side" and a "French-side" teacher share
# the subjects of a class (UNVERIFIED simplification). The value is the teacher's main subject.
GENERALIST_GROUPS: dict[str, dict[str, str]] = {
    "preschool": {"AR": "AR", "FR": "AR", "MATH": "AR", "ART": "AR", "EPS": "AR"},
    "primary": {
        "AR": "AR", "ISL": "AR", "HG": "AR", "ART": "AR", "EPS": "AR",
        "FR": "FR", "MATH": "FR", "SCI": "FR",
    },
}  # fmt: skip
# Statutory weekly load (commonly cited 30 h primary, 24 h collège, 21 h lycée; UNVERIFIED here).
STATUTORY_HOURS: dict[str, int] = {
    "preschool": 30,
    "primary": 30,
    "lower_secondary": 24,
    "upper_secondary": 21,
}
# Share of the statutory load a teacher spends in front of classes, on average over the headcount (the
# headcount includes teachers on leave, in training, part-time or with other duties). Tuned (UNVERIFIED)
# so that the public teachers match the press 2023-2024 figure: 278,627 public teachers for 7,392,050
# public pupils (26.5 pupils per teacher); with TEACHER_MAX_LOAD below, measured (first school year,
# no faults) 1.04 of that ratio at 20,000 pupils and 0.95 at 100,000. A class smaller than its target
# size weighs in proportion to its pupils (multi-grade teaching in small schools), so the ratio depends
# little on the sample size, down to the samples where TEACHER_MAX_LOAD binds.
TEACHER_LOAD_FACTOR = 0.88
# Ceiling of the mean weekly hours taught by a pool's teachers, as a share of the statutory load (the
# assignments record every hour of a class, small or not): a pool whose weighted hours would give its
# teachers more than this gets more teachers. It binds in small samples, where schools and classes are
# far below their national sizes: without it the median teacher taught 160-270 % of the statutory load
# at 3,000 pupils; with it 100-129 % by cycle (preschool 83 %), at the price of more teachers per pupil
# there (about 10 pupils per public teacher at 3,000 pupils, in classes of 5-11 pupils). UNVERIFIED.
TEACHER_MAX_LOAD = 1.3
# A pool (sector, family of cycles, subject group) of a region whose weighted hours do not fill one
# teacher's load (TEACHER_LOAD_FACTOR x statutory) joins the largest pool of its sector and family: its
# subject is taught by that pool's teachers (small regions; UNVERIFIED). With half a load as the threshold
# each such pool got a teacher of its own, rounded up: measured (seed 42, first year) 1.125 of the
# national public pupils-per-teacher reference at 8,000 pupils; with one load, 1.086 at 8,000, 0.979 at
# 20,000.
TEACHER_POOL_MERGE = 1.0
# Teachers complete their service in other schools of the same sector and family of cycles (collège and
# lycée teachers of a subject form one family: "complément de service"; UNVERIFIED simplification).
TEACHER_POOL_FAMILY: dict[str, int] = {
    "preschool": 0,
    "primary": 1,
    "lower_secondary": 2,
    "upper_secondary": 2,
}
# Share of women among teachers (UNVERIFIED).
TEACHER_FEMALE_SHARE: dict[str, float] = {
    "preschool": 0.9,
    "primary": 0.55,
    "lower_secondary": 0.42,
    "upper_secondary": 0.38,
}

# --- Ages ----------------------------------------------------------------------------------------
# Age at entry: 1AP at 6 (born in calendar year Y-6 for school year Y-(Y+1)), PS1 at 4 (rules §4).
AGE_PS1 = 4
# Initial cohort: each earlier level passed adds a delay year with this probability (repetition and
# late entry; UNVERIFIED, gives ~0.5 year of delay on average in 2BAC).
DELAY_PER_LEVEL = 0.045

# --- Movements during the year -------------------------------------------------------------------
# Share of pupils enrolling after the first school day, within the first LATE_START_DAYS school days.
LATE_START_SHARE = 0.08
LATE_START_DAYS = 15
# Share of pupils transferring to another school of the region during the year (UNVERIFIED).
TRANSFER_RATE = 0.015
# In-year dropout by cycle. press: public dropout rate 4.4% in 2023-24 (all cycles), 2019-20 by cycle
# college 10.4%, primary 2.1%, qualifiant 7.4%; rates below average ~4% over primary+secondary.
# The 2019-20 rates by cycle scaled by 4.4 / 5.3 (their weighted mean) to the 2023-24 total, a little
# lower again because public schools are more rural than private ones (rural factor below).
DROPOUT_RATE: dict[str, float] = {
    "preschool": 0.005,
    "primary": 0.0165,
    "lower_secondary": 0.084,
    "upper_secondary": 0.060,
}
# press 2022-2023 dropouts: 38.64% girls, 45.5% rural (rural pupils ~40%).
DROPOUT_FACTOR_BOY = 1.25
DROPOUT_FACTOR_GIRL = 0.78
DROPOUT_FACTOR_RURAL = 1.25
DROPOUT_FACTOR_URBAN = 0.85

# --- End of year ---------------------------------------------------------------------------------
# Pupils who complete the last level of a cycle and leave general education (vocational training,
# non-re-registration): a share of the non-repeaters; the UIS dropout rate of the level counts them.
# Calibrated (UNVERIFIED) so that, with the dropout and repetition rates below,
# secondary cycles keep their size from year to year: cohorts are ~687k per collège level and ~393k
# per qualifiant level (CYCLE_TOTALS); press 2024-2025: ~625,000 entering 1AC, ~453,000 entering TC.
END_OF_CYCLE_EXIT: dict[str, float] = {"6AP": 0.04, "3AC": 0.25}
# Repetition rate by level, UIS definition: repeaters of the level in t+1 over the pupils enrolled in it in
# t (in-year dropouts included). press 2019-2020 primary: 8.9% (1st 11.8, 2nd 9.0, 3rd 9.6, 4th 7.8, 5th
# 7.0, 6th 7.6), boys 11.1 girls 6.5. Secondary UNVERIFIED; 2BAC = candidates failing the bac who stay
# (press 2024: 79.4% pass after rattrapage).
REPETITION_RATE: dict[str, float] = {
    "PS1": 0.0,
    "PS2": 0.0,
    "1AP": 0.118,
    "2AP": 0.090,
    "3AP": 0.096,
    "4AP": 0.078,
    "5AP": 0.070,
    "6AP": 0.076,
    "1AC": 0.15,
    "2AC": 0.13,
    "3AC": 0.14,
    "TC": 0.16,
    "1BAC": 0.12,
    "2BAC": 0.15,
}
REPETITION_FACTOR_BOY = 11.1 / 8.9
REPETITION_FACTOR_GIRL = 6.5 / 8.9
# How strongly the year's mean grade drives repetition: weight exp(-k (mean - 10)) (UNVERIFIED).
REPETITION_GRADE_SLOPE = 0.6

# --- Absences ------------------------------------------------------------------------------------
# Seasonality (UNVERIFIED: the shape commonly reported by teachers, no public series): a day's weight in
# the draw of a pupil's absent days. Fridays (Friday prayer, long weekend), the two school days before
# and after a break or holiday, and, in rural schools, the winter months (cold, rain, roads).
ABSENCE_WEIGHT_FRIDAY = 1.3
ABSENCE_WEIGHT_AROUND_HOLIDAY = 1.6
ABSENCE_WEIGHT_RURAL_WINTER = 1.4
ABSENCE_WINTER_MONTHS = (12, 1, 2)
# Daily probability that a pupil misses at least one session: lognormal around the cycle's median with
# a heavy tail of chronic absentees (UNVERIFIED; no public figure found).
ABSENCE_DAILY_MEDIAN: dict[str, float] = {
    "preschool": 0.022,
    "primary": 0.012,
    "lower_secondary": 0.022,
    "upper_secondary": 0.03,
}
ABSENCE_SIGMA = 1.1
ABSENCE_FACTOR_RURAL = 1.2
ABSENCE_FACTOR_BOY = 1.1
ABSENCE_MAX_DAILY = 0.7
# Correlation between ability and the absence propensity.
ABILITY_ABSENCE_CORRELATION = -0.35
# An absent day is: the whole day, a half day, or one or two sessions.
ABSENCE_PATTERN = {"full": 0.55, "half": 0.25, "sessions": 0.20}
# Justified absences (brief: ~40%) and their reasons (code_absence_reasons seed, justifiable=true).
JUSTIFIED_SHARE = 0.40
JUSTIFIED_REASONS: dict[str, float] = {"ILL": 0.62, "FAM": 0.25, "TRP": 0.07, "WTH": 0.06}
# Unjustified: reason empty, UNK or WRK (seasonal work, justifiable=false).
UNJUSTIFIED_REASONS: dict[str, float] = {"": 0.65, "UNK": 0.27, "WRK": 0.08}

# --- Grades --------------------------------------------------------------------------------------
# Grade = mean + ability + school + subject + cycle + pupil-subject + noise, clipped to 0-20, one decimal
# (UNVERIFIED model; the contract scale is 0-20 for every level).
GRADE_MEAN = 11.0
GRADE_ABILITY_SD = 2.6
GRADE_PUPIL_SUBJECT_SD = 1.2
GRADE_NOISE_SD = 1.7
GRADE_UNIFIED_SHIFT = -0.6
GRADE_CYCLE_SHIFT: dict[str, float] = {"primary": 1.0, "lower_secondary": -0.3, "upper_secondary": -0.4}
GRADE_SUBJECT_SHIFT: dict[str, float] = {
    "MATH": -1.2, "PC": -0.9, "SVT": -0.3, "FR": -0.8, "EN": 0.2, "PHILO": -0.6, "AR": 0.3,
    "ISL": 1.4, "HG": 0.2, "SCI": 0.5, "INFO": 1.0, "EPS": 2.8, "ART": 1.8, "AMZ": 0.5,
}  # fmt: skip
# Assessments per semester: CC1, CC2 and the unified test UNI, except UNI in semester 2 of the final
# year of a cycle (rules §2, SOURCED: lebrief.ma 2021). Windows are fractions of the semester's days.
ASSESSMENT_WINDOWS: dict[str, tuple[float, float]] = {
    "CC1": (0.20, 0.45),
    "CC2": (0.50, 0.78),
    "UNI": (0.82, 0.98),
}
# Missed tests: base probability plus a multiple of the pupil's daily absence probability.
MISSED_BASE = 0.008
MISSED_PER_ABSENCE = 0.8
MISSED_MAX = 0.3
MISSED_JUSTIFIED_SHARE = 0.4
# Share of pupils exempted from physical education (DIS on every EPS test).
EPS_EXEMPT_SHARE = 0.02

# --- Names ---------------------------------------------------------------------------------------
GUARDIAN_FATHER_SHARE = 0.88
GUARDIAN_MOTHER_SHARE = 0.09  # the rest has no guardian name (optional column)

# --- Certificate exams (code_exams seed: 3AC_REG, BAC_REG, BAC_NAT) ------------------------------------
# Bac 2024, normal session, enrolled candidates: 67.8 % admitted of those present, girls 72.0 %,
# boys 62.6 %; 97.4 % of the candidates present (SOURCED: MENPS communiqué 26 June 2024 via libe.ma,
# education_stats/morocco_education_official_figures_from_press.csv). A candidate passes when the mean
# of the BAC_NAT normal-session marks is >= 10 (simplification of the real weighting: 25 % regional,
# 25 % continuous, 50 % national). The national marks are shifted per region and sex so that the share
# of present candidates whose mean is >= 10 is these rates, within one candidate (exams._pass_shift).
BAC_PASS_RATE_NORMAL = {"F": 0.720, "M": 0.626}
BAC_PASS_RATE_NORMAL_ALL = 0.678
EXAM_PRESENT_SHARE = 0.974
# Rattrapage 2024: 126,870 sat, 72,054 passed = 56.8 % (SOURCED: lenew.ma). Candidates below 10 at
# the normal session take the July resit; the resit mean is the normal mean plus a gain (UNVERIFIED,
# tuned so that about half of them pass).
BAC_RESIT_PASS_RATE = 0.568
EXAM_RESIT_GAIN = 1.3
EXAM_RESIT_GAIN_SD = 1.2
# Spread of the candidate's level (ability) and of a paper around it (UNVERIFIED).
EXAM_LEVEL_SD = 2.5
EXAM_PAPER_SD = 2.5
# Regional exams (3AC, 1BAC): mean mark of a paper and the girls' advantage (UNVERIFIED).
EXAM_REGIONAL_MEAN = 10.8
EXAM_REGIONAL_GIRL_SHIFT = 0.6
# Subjects of each exam (the stream's curriculum limits them). 1BAC regional: the general subjects;
# 2BAC national: the rest but physical education (SOURCED in outline: the bac regional exam covers
# French, Arabic, Islamic education and history-geography for most streams). Only the subjects the
# class's curriculum has are sat; a 2BAC stream with fewer than three national subjects adds AR and HG.
EXAM_SUBJECTS: dict[str, tuple[str, ...]] = {
    "3AC_REG": ("AR", "FR", "MATH", "PC", "SVT", "HG", "ISL", "EN"),
    "BAC_REG": ("AR", "FR", "ISL", "HG"),
    "BAC_NAT": ("MATH", "PC", "SVT", "PHILO", "EN", "INFO"),
}
EXAM_NATIONAL_FALLBACK = ("AR", "HG")
# First day of each exam's papers (month, day of the second calendar year), then one paper per school
# day, Sundays and holidays skipped (UNVERIFIED, close to the 2024 and 2025 timetables).
EXAM_START: dict[tuple[str, str], tuple[int, int]] = {
    ("BAC_REG", "normal"): (5, 29),
    ("BAC_NAT", "normal"): (6, 2),
    ("3AC_REG", "normal"): (6, 11),
    ("BAC_NAT", "resit"): (7, 7),
}

# --- Timetables ----------------------------------------------------------------------------------
# Weekly sessions of a subject = its weekly hours rounded (one session = one hour), scaled down when
# they exceed the week's sessions (code_levels seed sessions_per_day; Saturday afternoon closed).
TIMETABLE_ROOM_OF_SUBJECT: dict[str, str] = {"EPS": "TERRAIN", "PC": "LABO-PC", "SVT": "LABO-SVT"}
