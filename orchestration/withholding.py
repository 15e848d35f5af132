"""A blocking data test that fails for some athletes' rows withholds those athletes, not the warehouse.

When every failing dbt data test's failing rows can be traced to athletes (the rows carry athlete_id, or an
activity, recording or sleep session id that belongs to one), the build goes on: the models the failures had
skipped are built, the withheld athletes and the tests that named them are recorded in
`openfit_state.withheld`, and the publish keeps those athletes' rows as the previous snapshot had them while
everyone else's new data is published (orchestration/publish.py). The next build runs every test again; an athlete
whose rows pass is published again in full. Anything else stays a whole-warehouse failure: a model error, a
test that errors, a failing row that names no athlete (a vocabulary or a global invariant).

The Great Expectations checks (orchestration/defs/checks.py) follow the same rule: a failure whose rows all
carry an athlete_id records those athletes here (as "gx:<suite>") and does not block the publish; any other
failure blocks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from orchestration.incremental import STATE_SCHEMA, ensure_state

# How a failing row finds its athlete: a column it carries -> the openfit table that maps it to athlete_id.
ATHLETE_LOOKUPS = (
    ("athlete_id", None),
    ("activity_id", "openfit.activities"),
    ("recording_id", "openfit.activity_recordings"),
    ("sleep_id", "openfit.sleep_sessions"),
)


@dataclass(frozen=True, order=True)
class Withheld:
    athlete_id: str
    test: str  # the dbt test's unique id
    failing_rows: int


def attribute_failures(con: duckdb.DuckDBPyConnection, failed_tests: dict[str, str]) -> list[Withheld] | None:
    """The athletes each failing test's rows belong to (`failed_tests`: unique id -> compiled SQL), or None when a
    failing row cannot be traced to an athlete: then the failure concerns the whole warehouse."""
    withheld: list[Withheld] = []
    for test_id, sql in sorted(failed_tests.items()):
        if not sql:
            return None
        columns = {d[0] for d in con.execute(f"select * from ({sql}) limit 0").description}
        lookup = next(((column, table) for column, table in ATHLETE_LOOKUPS if column in columns), None)
        if lookup is None:
            return None
        column, table = lookup
        if table is None:
            query = f"select athlete_id, count(*) from ({sql}) failing group by all"
        else:
            query = (
                f"select owner.athlete_id, count(*) from ({sql}) failing "
                f"left join (select distinct {column}, athlete_id from {table}) owner using ({column}) group by all"
            )
        rows = con.execute(query).fetchall()
        if not rows or any(athlete is None for athlete, _ in rows):
            return None
        withheld += [Withheld(athlete, test_id, count) for athlete, count in rows]
    return withheld


DBT_TESTS = "starts_with(test, 'test.')"  # dbt's unique ids; the Great Expectations checks use "gx:<suite>"


def record_withheld(con: duckdb.DuckDBPyConnection, withheld: list[Withheld]) -> None:
    """Replace the dbt tests' part of the withheld set with this build's (empty when every test passed). Runs
    inside the caller's transaction (orchestration.incremental.finish_transform)."""
    ensure_state(con)
    con.execute(f"delete from {STATE_SCHEMA}.withheld where {DBT_TESTS}")
    if withheld:
        now = datetime.now(UTC)
        con.executemany(
            f"insert into {STATE_SCHEMA}.withheld values (?, ?, ?, ?, null)",
            [(w.athlete_id, w.test, w.failing_rows, now) for w in withheld],
        )


def record_check_withheld(
    con: duckdb.DuckDBPyConnection,
    check: str,
    failing: list[tuple[str, str | None]],
    examined: list[str] | None,
) -> None:
    """Replace a quality check's part of the withheld set: `failing` is (athlete, subject) per failing row, where
    subject is the row's key when the check examines only part of the data (the samples suite validates the
    changed activities: `examined` lists them, and only their earlier verdicts are replaced); None: all of it."""
    ensure_state(con)
    con.execute("begin")
    try:
        if examined is None:
            con.execute(f"delete from {STATE_SCHEMA}.withheld where test = ?", [check])
        else:
            con.execute(
                f"delete from {STATE_SCHEMA}.withheld where test = ? and list_contains(?, subject)",
                [check, examined],
            )
            # verdicts on activities that no longer exist (a full rebuild without them) lapse
            con.execute(
                f"delete from {STATE_SCHEMA}.withheld where test = ? and subject not in "
                "(select activity_id from openfit.activities)",
                [check],
            )
        counts: dict[tuple[str, str | None], int] = {}
        for key in failing:
            counts[key] = counts.get(key, 0) + 1
        now = datetime.now(UTC)
        if counts:
            con.executemany(
                f"insert into {STATE_SCHEMA}.withheld values (?, ?, ?, ?, ?)",
                [(athlete, check, n, now, subject) for (athlete, subject), n in counts.items()],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


# Who is withheld, by which test, with how many failing rows: what the publish copies to meta.withheld.
WITHHELD_SUMMARY = f"""
select athlete_id, test, sum(failing_rows)::bigint as failing_rows, max(recorded_at) as recorded_at
from {STATE_SCHEMA}.withheld group by all order by all
"""


def withheld_athletes(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, int]]]:
    """athlete_id -> [(test, failing rows)] as of the last build."""
    ensure_state(con)
    out: dict[str, list[tuple[str, int]]] = {}
    for athlete, test, rows, _ in con.execute(WITHHELD_SUMMARY).fetchall():
        out.setdefault(athlete, []).append((test, rows))
    return out
