"""The CSV export: every published row of a `Report`, for the lead's own spreadsheet.

Long format (one figure per line) so that circles with different numbers of meetings, and figures
that are "too few to show", fit one shape; a suppressed figure's value reads "too few to show".
"""

from __future__ import annotations

import csv
import io

from core.report.privacy import Report

COLUMNS = ("section", "circle", "meeting", "measure", "value")


def csv_bytes(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow((row.section, row.circle, "" if row.meeting is None else row.meeting, row.measure, row.shown))
    return out.getvalue().encode("utf-8")
