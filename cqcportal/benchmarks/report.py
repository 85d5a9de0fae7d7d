"""docs/benchmarks.md and its chart, written from docs/benchmarks.json (``python manage.py benchmark report``)."""

from __future__ import annotations

import json
from pathlib import Path

PAGE_TARGET_RATIO = 0.25
PAGE_TARGET_P95_MS = 150
SWEEP_TARGET_RATIO = 3.0

PAGE_NAMES = {
    "public_profile": "Public location profile",
    "how_rated": "Public rating working",
    "register_search": "Register search",
    "inspector_caseload": "Inspector caseload",
    "provider_dashboard": "Provider dashboard",
    "assessment_workspace": "Assessment workspace",
    "draft_report": "Draft report with its factual accuracy comments",
}


def chart(pages: dict, path: Path) -> None:
    """A bar chart of each page's throughput as a share of the trivial view's, with the target drawn across."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(pages)
    ratios = [pages[n]["ratio"] for n in names]
    uncached = [pages[n].get("without_public_cache", {}).get("ratio") for n in names]
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    positions = range(len(names))
    ax.bar(positions, ratios, width=0.6, color="#1d70b8", label="as production runs it")
    for x, value in zip(positions, uncached, strict=True):
        if value is not None:
            ax.bar(x + 0.32, value, width=0.25, color="#b1b4b6", label="public page cache off" if x == 0 else None)
    for x, value in zip(positions, ratios, strict=True):
        ax.text(x, value + 0.01, f"{value:.2f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(PAGE_TARGET_RATIO, color="#d4351c", linestyle="--", linewidth=1, label=f"target {PAGE_TARGET_RATIO}")
    ax.set_xticks(list(positions))
    ax.set_xticklabels(
        [PAGE_NAMES.get(n, n).replace(" with its ", "\nwith its ") for n in names], rotation=30, ha="right", fontsize=8
    )
    ax.set_ylabel("throughput ÷ trivial view's throughput")
    ax.set_title("Pages beside the trivial view, same server, same run (16 users, national register)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_ylim(0, max([*ratios, *(u for u in uncached if u), PAGE_TARGET_RATIO]) * 1.2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def markdown(data: dict, *, chart_name: str) -> str:
    """The results sections of docs/benchmarks.md."""
    out = []
    pages = data.get("pages_run")
    if pages:
        pages = {**pages, "pages": data["pages"]}
        machine = pages["machine"]
        out += [
            "## Pages",
            "",
            f"Command: `{pages['command']}`, on the national register (`seed_national` at its default size). "
            f"{pages['users']} concurrent users (wrk's connections, a closed loop), {pages['gunicorn_workers']} "
            f"gunicorn sync workers, {pages['seconds_per_run']} s per measurement, {pages['rounds']} rounds; the "
            f"trivial view measured for the same time just before each page, by the same visitors; req/s over all "
            f"rounds, p50 and p95 from the worse round. Anonymous trivial view: {pages['anonymous_trivial_rps']:,.0f} "
            "req/s.",
            "",
            f"Machine: {_machine(machine)}.",
            "",
            f"![Page throughput as a share of the trivial view's]({chart_name})",
            "",
            "| page | signed in | req/s | p50 ms | p95 ms | trivial req/s (same visitors) | ratio | ratio to the "
            "anonymous trivial view | from the cache | ratio ≥ 0.25 | p95 < 150 ms |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for name, page in pages["pages"].items():
            out.append(
                f"| {PAGE_NAMES.get(name, name)} | {'yes' if page['signed_in'] else 'no'} | {page['rps']:,.1f} | "
                f"{page['p50_ms']:.1f} | {page['p95_ms']:.1f} | {page['trivial_rps']:,.1f} | {page['ratio']:.3f} | "
                f"{page['ratio_to_anonymous_trivial']:.3f} | {page['cache_hit_share']:.0%} | "
                f"{_yes(page['ratio'] >= PAGE_TARGET_RATIO)} | {_yes(page['p95_ms'] < PAGE_TARGET_P95_MS)} |"
            )
        with_cpu = {n: p for n, p in pages["pages"].items() if "cpu_ms" in p}
        if with_cpu:
            out += [
                "",
                "Where a request's CPU went, in milliseconds (from /proc, either side of each measurement: gunicorn's "
                "processes, every PostgreSQL process, and wrk), for the page and for the trivial view beside it. The "
                "two cores are shared by all three, so the page's share of the trivial view's CPU is about its ratio:",
                "",
                "| page | server | PostgreSQL | wrk | total | trivial view: server | PostgreSQL | wrk | total | "
                "trivial total / page total |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for name, page in with_cpu.items():
                cpu, trivial = page["cpu_ms"], page["trivial_cpu_ms"]
                page_total, trivial_total = sum(cpu.values()), sum(trivial.values())
                out.append(
                    f"| {PAGE_NAMES.get(name, name)} | {cpu['server']:.2f} | {cpu['database']:.2f} | "
                    f"{cpu['load_client']:.2f} | {page_total:.2f} | {trivial['server']:.2f} | "
                    f"{trivial['database']:.2f} | {trivial['load_client']:.2f} | {trivial_total:.2f} | "
                    f"{trivial_total / page_total if page_total else 0:.3f} |"
                )
        uncached = {n: p["without_public_cache"] for n, p in pages["pages"].items() if "without_public_cache" in p}
        if uncached:
            out += [
                "",
                "The public pages again, on a server with the public page cache off (every request rendered):",
                "",
                "| page | req/s | p50 ms | p95 ms | trivial req/s | ratio |",
                "| --- | ---: | ---: | ---: | ---: | ---: |",
            ]
            for name, page in uncached.items():
                out.append(
                    f"| {PAGE_NAMES.get(name, name)} | {page['rps']:,.1f} | {page['p50_ms']:.1f} | "
                    f"{page['p95_ms']:.1f} | {page['trivial_rps']:,.1f} | {page['ratio']:.3f} |"
                )
        out.append("")
    sweep = data.get("sweep")
    if sweep:
        out += [
            "## The deadline sweep",
            "",
            f"Command: `{sweep['command']}`. {sweep['due_share']:.0%} of the open deadlines due at once (the "
            "morning sweep). Machine: " + _machine(sweep["machine"]) + ".",
            "",
            f"The floor: `{sweep['floor_sql']}` (median of three, each rolled back).",
            "",
            "The second floor: the same rows the sweep wrote (notifications, ledger rows, audit events, the flows' "
            "and the deadlines' updates) written again by SQL alone in one transaction, foreign keys checked at each "
            "statement (`cqcportal/benchmarks/sweep.py`, `WRITES_FLOOR_SQL`; median of three, each rolled back).",
            "",
            "| open deadlines | due | sweep s | floor s | ratio | same writes in SQL s | ratio to them | ms per due "
            "deadline | notifications | ledger rows | audit events | within 3× the floor |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in sweep["sizes"]:
            out.append(
                f"| {row['open']:,} | {row['due']:,} | {row['sweep_s']:.2f} | {row['floor_s']:.3f} | "
                f"{row['ratio']:.1f} | {row['writes_floor_s']:.2f} | {row['ratio_to_writes_floor']:.1f} | "
                f"{row['sweep_ms_per_due']:.3f} | {row['notifications']:,} | {row['ledger_rows']:,} | "
                f"{row['audit_events']:,} | {_yes(row['ratio'] <= SWEEP_TARGET_RATIO)} |"
            )
        before = data.get("sweep_before")
        if before:
            out += [
                "",
                "Before (the sweep one deadline per transaction, as it was), the same benchmark on "
                f"{before['measured_on']}:",
                "",
                "| open deadlines | due | sweep s | floor s | ratio | ms per due deadline |",
                "| ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for row in before["sizes"]:
                out.append(
                    f"| {row['open']:,} | {row['due']:,} | {row['sweep_s']:.2f} | {row['floor_s']:.3f} | "
                    f"{row['ratio']:.1f} | {row['sweep_ms_per_due']:.3f} |"
                )
        out.append("")
    recompute = data.get("recompute")
    if recompute:
        out += [
            "## Recomputing every location's ratings",
            "",
            f"Command: `{recompute['command']}`, on the national register. Machine: "
            + _machine(recompute["machine"])
            + ".",
            "",
            f"The floor: `{recompute['floor_sql']}` (median of three).",
            "",
            "| locations | ratings written | changed (audited) | recompute s | floor s | ratio |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {recompute['locations']:,} | {recompute['ratings']:,} | {recompute['changed']:,} | "
            f"{recompute['seconds']:.1f} | {recompute['floor_s']:.2f} | {recompute['ratio']:.1f} |",
            "",
            f"Checked: {recompute['checked_against_each_locations_own_working']} locations chosen at random "
            "store exactly what their own working gives.",
            "",
        ]
    return "\n".join(out)


def _machine(machine: dict) -> str:
    load = " ".join(f"{x:.2f}" for x in machine["load_average_at_start"])
    return (
        f"{machine['cpus']} CPUs ({machine['cpu']}), {machine['memory_gib']} GiB, {machine['os']}, Python "
        f"{machine['python']}, Django {machine['django']}, PostgreSQL {machine['postgresql']}; load average at the "
        f"start {load}"
    )


def write(results: Path, document: Path) -> None:
    """Rewrite the generated part of ``document`` (between its markers) and the chart beside it."""
    data = json.loads(results.read_text())
    chart_path = document.parent / "benchmarks-pages.png"
    if "pages" in data:
        chart(data["pages"], chart_path)
    generated = markdown(data, chart_name=chart_path.name)
    start, end = "<!-- results: generated by `manage.py benchmark report` -->", "<!-- end of results -->"
    text = document.read_text() if document.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    document.write_text(f"{head}{start}\n\n{generated}\n{end}{tail}")
