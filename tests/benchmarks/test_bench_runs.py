"""The benchmark scripts keep working as the code under them changes (they are not run by
`make test` otherwise): the SQL case, in its quick mode, builds its history and measures every
request. No figure is judged here; the bench itself compares them with their goals."""
import pytest

from bench import sql
from bench.common import Report

pytestmark = [pytest.mark.slow, pytest.mark.sqlite]  # the bench makes its own SQLite database


def test_the_sql_case_builds_its_history_and_measures_every_request():
    report = Report()
    sql.measure(report, quick=True)
    failed = [r for r in report.rows if r.figure == "(case failed)"]
    assert not failed, failed[0].note
    figures = {r.figure.split(":")[0] for r in report.rows}
    assert {"GET seats", "GET payment", "POST place order", "GET account", "GET account seats"} <= figures
