"""The comparison script's deterministic figures: round trips, bytes, statements, revalidation."""

from rest_vs_graphql.compare import (
    DASHBOARD,
    INBOX,
    LIST,
    LOADER,
    NAIVE,
    ONE,
    PERSISTED,
    REST,
    compare,
    markdown_table,
    ratios,
)
from rest_vs_graphql.seed import SeedReport


async def test_the_comparison_measures_every_screen_through_every_api(
    database_url: str, seeded: SeedReport
) -> None:
    # Rule: the figures the README quotes (not the timings) come out the same on any machine.
    rows = await compare(database_url, seeded.account_sids[0], runs=2)
    by = {(r.screen, r.api): r for r in rows}

    assert len(rows) == 16
    assert [(by[ONE, api].round_trips, by[ONE, api].statements) for api in (REST, LOADER)] == [
        (1, 1),
        (1, 1),
    ]
    assert (by[INBOX, REST].round_trips, by[INBOX, REST].waves) == (1 + 4 + 1, 2)
    assert (by[INBOX, NAIVE].statements, by[INBOX, LOADER].statements) == (101, 3)
    assert (by[LIST, REST].statements, by[LIST, PERSISTED].statements) == (1, 1)
    assert (by[DASHBOARD, REST].round_trips, by[DASHBOARD, LOADER].round_trips) == (13, 1)
    assert by[DASHBOARD, REST].revalidation == "yes, 13/13"
    assert by[LIST, LOADER].revalidation == "no (POST)"
    assert by[LIST, PERSISTED].revalidation == "yes, 1/1"
    assert ratios(rows)["dashboard_bytes_graphql_over_rest"] <= 0.40
    assert markdown_table(rows).count("\n") == 2 + 16
