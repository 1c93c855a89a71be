"""List API cases: ``/v1/Recordings`` at PageSize 50 for each filter, one client, against the SQL
floor of the same request and against the naive DRF view of the same rows.

Measured at every table size the run grows through; the rows of the table are made for the
headline sizes, and the size series feeds the chart and the scaling check.
"""

from bench.cases.checks import expected_sids, sids_check
from bench.client import sample
from bench.context import Bench
from bench.report import Check, Row, label_for, ms, times
from bench.sqlfloor import sql_floor

PAGE_SIZE = 50
P50_MAX_MS = 4.0
P99_MAX_MS = 10.0
FLOOR_MAX = 12.0
NAIVE_MAX = 0.6
SCALING_MAX = 1.3


def api_path(query: str, page_size: int = PAGE_SIZE) -> str:
    return f"/v1/Recordings?PageSize={page_size}" + (f"&{query}" if query else "")


def naive_path(query: str, page_size: int = PAGE_SIZE) -> str:
    return f"/bench/naive/Recordings?PageSize={page_size}" + (f"&{query}" if query else "")


def measure(bench: Bench, filters: dict[str, str]) -> dict[str, dict]:
    """Measure every filter case on the table as it is now; return name → figures."""
    effort, account = bench.effort, bench.account
    results = {}
    for name, query in filters.items():
        expected = expected_sids(account, query, PAGE_SIZE)
        common = {
            "n": effort.requests,
            "warmup": effort.warmup,
            "headers": bench.api_headers,
            "check_every": effort.smoke,
        }
        api = sample(
            bench.server,
            api_path(query),
            check=sids_check("recordings", expected, f"/v1/Recordings {name}"),
            **common,
        )
        naive = sample(
            bench.server,
            naive_path(query),
            check=sids_check("results", expected, f"naive view {name}"),
            **common,
        )
        floor, queries = sql_floor(
            api_path(query), bench.api_headers, n=effort.requests, warmup=effort.warmup
        )
        results[name] = {
            "query": query,
            "rows": len(expected),
            "api": api.as_dict(),
            "naive": naive.as_dict(),
            "floor": floor.as_dict(),
            "sql": queries,
        }
    return results


def rows_for(by_filter: dict[str, dict], size: int) -> list[Row]:
    """Return one row per filter with its targets (PageSize 50, one client)."""
    rows = []
    for name, case in by_filter.items():
        api, floor, naive = case["api"], case["floor"], case["naive"]
        to_floor = api["p50_ms"] / floor["p50_ms"]
        to_naive = api["p50_ms"] / naive["p50_ms"]
        rows.append(
            Row(
                group=f"list {label_for(size)}",
                case=f"List {label_for(size)} {name} ({case['rows']} rows)",
                figure=f"p50 {ms(api['p50_ms'])} p99 {ms(api['p99_ms'])}",
                baseline=f"SQL {ms(floor['p50_ms'])}; naive {ms(naive['p50_ms'])}",
                ratio=f"{times(to_floor)} SQL; {times(to_naive)} naive",
                target=f"p50≤{P50_MAX_MS:g} p99≤{P99_MAX_MS:g} ms; ≤{FLOOR_MAX:g}x SQL; "
                f"≤{NAIVE_MAX:g}x naive",
                checks=[
                    Check("p50", api["p50_ms"] <= P50_MAX_MS),
                    Check("p99", api["p99_ms"] <= P99_MAX_MS),
                    Check("SQL ratio", to_floor <= FLOOR_MAX),
                    Check("naive ratio", to_naive <= NAIVE_MAX),
                ],
                data={"size": size, **{k: case[k] for k in ("query", "api", "floor", "naive")}},
            )
        )
    return rows


def scaling_rows(series: dict[str, dict[str, dict]], large: int, small: int) -> list[Row]:
    """Return, per filter, p50 at the larger table over p50 at the 10x (or so) smaller one."""
    rows = []
    pair = f"{label_for(large)}/{label_for(small)}"
    for name, by_size in series.items():
        big, little = by_size[str(large)]["api"], by_size[str(small)]["api"]
        ratio = big["p50_ms"] / little["p50_ms"]
        rows.append(
            Row(
                group="scaling",
                case=f"List {name}: p50 at {pair}",
                figure=ms(big["p50_ms"]),
                baseline=f"{ms(little['p50_ms'])} at {label_for(small)}",
                ratio=times(ratio),
                target=f"≤{SCALING_MAX:g}x",
                checks=[Check("scaling", ratio <= SCALING_MAX)],
            )
        )
    return rows
