"""The quality gate's thresholds, each defined once: the suites (``expectations.suites``) and the frames
the gate computes (``expectations.gate``) read them from here. Value ranges, keys and mandatory columns
are dbt data tests (their bounds in the marts' yml and dbt_project.yml vars): the gate does not hold them."""

from __future__ import annotations

from typing import Final

#: Freshness: school days a region's last loaded day may lag behind the most advanced region's before the
#: gate flags it (a warning: the region's daily drops are late).
FRESHNESS_MAX_SCHOOL_DAYS_BEHIND: Final[int] = 1

#: Day-over-day absences: a region's last-day absences beyond this many standard deviations of its
#: previous days are flagged (a warning), judged on ANOMALY_WINDOW previous school days, not judged with
#: fewer than ANOMALY_MIN_DAYS.
# This rule should live once with SPIKE_K / SPIKE_WINDOW in dashboards/data_access/absences.py.
ANOMALY_K: Final[float] = 3.0
ANOMALY_WINDOW: Final[int] = 20
ANOMALY_MIN_DAYS: Final[int] = 5

#: Reconciliation of the load log: per ingested file, lines received - (accepted + quarantined + rejected),
#: and quarantined - rows in the quarantine, may differ from 0 by at most this many rows.
RECONCILIATION_TOLERANCE_ROWS: Final[int] = 0
