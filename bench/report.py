"""What a run reports: rows of (case, figure, baseline, ratio, target, verdict), printed as one
table and written as JSON, Markdown and a PNG of list latency against table size."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Check:
    """One target: its label as printed and whether the figure met it."""

    label: str
    ok: bool


@dataclass
class Row:
    group: str
    case: str
    figure: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    checks: list[Check] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if not self.checks:
            return "—"
        missed = [c.label for c in self.checks if not c.ok]
        return "pass" if not missed else "MISS " + "; ".join(missed)


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def times(value: float) -> str:
    return f"{value:.2f}x"


COLUMNS = ("case", "figure", "baseline", "ratio", "target", "result")


def _cells(row: Row) -> tuple[str, ...]:
    return (row.case, row.figure, row.baseline, row.ratio, row.target, row.verdict)


def text_table(rows: list[Row]) -> str:
    """Return the rows as an aligned plain-text table, one block per group."""
    widths = [len(c) for c in COLUMNS]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, _cells(row), strict=True)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)), line]
    group = None
    for row in rows:
        if group is not None and row.group != group:
            out.append("")
        group = row.group
        out.append("  ".join(c.ljust(w) for c, w in zip(_cells(row), widths, strict=True)))
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = (c.replace("|", "\\|") for c in _cells(row))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def size_table(series: dict[str, dict[str, dict]]) -> str:
    """Return the list cases' p50 (API / SQL floor / naive DRF, ms) by filter and table size."""
    sizes = sorted({size for by_size in series.values() for size in by_size}, key=int)
    head = "| filter | " + " | ".join(label_for(int(s)) for s in sizes) + " |"
    out = [head, "|" + "---|" * (len(sizes) + 1)]
    for name, by_size in series.items():
        cells = []
        for size in sizes:
            case = by_size.get(size)
            cells.append(
                "—"
                if case is None
                else f"{case['api']['p50_ms']:.2f} / {case['floor']['p50_ms']:.2f} / "
                f"{case['naive']['p50_ms']:.2f}"
            )
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def label_for(rows: int) -> str:
    """Return 1k, 200k, 1M, 10M…"""
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if rows >= scale and rows % (scale // 10) == 0:
            value = rows / scale
            return f"{value:g}{unit}"
    return str(rows)


def chart(series: dict[str, dict[str, dict]], path: Path, title: str) -> None:
    """Plot each list filter's p50 against table size (log x), the naive view's dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    for name, by_size in series.items():
        sizes = sorted(by_size, key=int)
        ax.plot(
            [int(s) for s in sizes],
            [by_size[s]["api"]["p50_ms"] for s in sizes],
            marker="o",
            label=name,
        )
    none = series.get("none", {})
    if none:
        sizes = sorted(none, key=int)
        xs = [int(s) for s in sizes]
        ax.plot(xs, [none[s]["naive"]["p50_ms"] for s in sizes], "k--", label="naive DRF (none)")
        ax.plot(xs, [none[s]["floor"]["p50_ms"] for s in sizes], "k:", label="SQL floor (none)")
    ax.set_xscale("log")
    ax.set_xlabel("rows in recordings table")
    ax.set_ylabel("p50 latency, ms (one client, PageSize 50)")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(out: Path, label: str, rows: list[Row], meta: dict, series: dict) -> list[Path]:
    """Write ``<label>.json``, ``<label>.md`` and the chart; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    chart_name = "latency.png" if not meta.get("smoke") else f"latency-{label}.png"
    document = {
        **meta,
        "rows": [{**asdict(r), "verdict": r.verdict} for r in rows],
        "list_by_size": series,
    }
    json_path = out / f"{label}.json"
    json_path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    md_path = out / f"{label}.md"
    md_path.write_text(
        f"# Roomvault benchmark: {label}\n\n"
        f"{meta['summary']}\n\n"
        f"{markdown_table(rows)}\n\n"
        "## List API p50 by table size (ms: API / SQL floor / naive DRF)\n\n"
        f"{size_table(series)}\n\n"
        f"![p50 latency against table size]({chart_name})\n"
        + ("".join(f"\n- {note}" for note in meta.get("notes", [])) + "\n")
    )
    chart_path = out / chart_name
    chart(series, chart_path, f"List API p50 against table size ({meta['summary_short']})")
    return [json_path, md_path, chart_path]
