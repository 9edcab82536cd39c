"""Issue 18's chat targets, each measured beside the bare aiogram echo bot in the same run.

    .venv/bin/python -m bench.chat_targets --keep /tmp/chat.db   # 100k customers, 1M shipments
    .venv/bin/python -m bench.chat_targets --quick               # small data, short passes: ~2 minutes
    .venv/bin/python -m bench.chat_targets --only flood --sample /tmp/flood.txt   # py-spy of the real bot

Three scenarios, in the processes and with the users of `bench.chat_throughput` (see its docstring):

- flood: every user a linked customer sending /track of one of their own company's shipments, the next as
  soon as the reply came, --in-flight updates outstanding at most (a closed loop: the bot's capacity);
- mixed: the mixed chat of `bench.chat_throughput` (cargo status, lists, complaint forms, buttons), closed
  loop at the same depth;
- rate: the mixed chat in an open loop at --rate updates a second (Telegram's own sending ceiling is 30),
  for --seconds: an update goes out on schedule whatever the replies, each user still waiting for its own
  reply before its next; p50 and p99 are what users see at that load.

Each is run against the real bot, then the echo bot is sent exactly the same updates. Targets: the real
bot's CPU per update at most 2x the echo bot's in flood and mixed; p99 under 50 ms in rate. CPU is the bot
process's (all threads, /proc) over the timed window, divided by the updates answered in it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.chat_throughput import Pass, chat_data, run_pass
from bench.chat_users import Persona, live, track_flood
from bench.common import machine, percentile, print_table, sqlite_url

SCENARIOS = ("flood", "mixed", "rate")
CPU_TARGET = 2.0  # real / echo CPU per update
P99_TARGET_MS = 50.0


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, short passes")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated: flood,mixed,rate")
    parser.add_argument("--updates", type=int, default=1_000 if quick else 6_000, help="per closed-loop pass")
    parser.add_argument("--users", type=int, default=300 if quick else 500)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--rate", type=float, default=30.0, help="updates a second in the open loop")
    parser.add_argument("--seconds", type=float, default=20.0 if quick else 60.0, help="of the open loop")
    parser.add_argument("--customers", type=int, default=5_000 if quick else 100_000)
    parser.add_argument("--shipments", type=int, default=50_000 if quick else 1_000_000)
    parser.add_argument("--keep", type=Path, help="cache the generated database here and reuse it")
    parser.add_argument(
        "--sample", type=Path, help="py-spy the real bot's timed windows into PATH.<scenario>"
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


async def pair(
    scenario: str, args: argparse.Namespace, personas: list[Persona], options: dict[str, object]
) -> tuple[Pass, Pass]:
    """The real bot, then the echo bot sent the same updates."""
    sampled = args.sample.with_name(f"{args.sample.name}.{scenario}") if args.sample else None
    kind: dict[str, object] = {"act": track_flood if scenario == "flood" else live}
    if scenario == "rate":
        kind |= {"rate": args.rate, "budget": round(args.rate * args.seconds)}
    real = await run_pass("real", personas, sampled=sampled, **(options | kind))  # type: ignore[arg-type]
    echo = await run_pass("echo", personas, scripts=real.scripts, **(options | kind))  # type: ignore[arg-type]
    return real, echo


def report(scenario: str, real: Pass, echo: Pass, args: argparse.Namespace) -> list[object]:
    """The scenario's table, and its row in the summary."""
    rows = []
    for p in (real, echo):
        ms = p.latencies()
        cpu = 1000 * p.bot_cpu / len(p.samples)
        rows.append([p.kind, len(p.samples), p.seconds, p.rate, percentile(ms, 50), percentile(ms, 99), cpu])
    header = ["bot", "updates", "seconds", "updates/s", "p50 ms", "p99 ms", "bot CPU ms/update"]
    load = (
        f"{args.rate:g} updates/s sent on schedule" if scenario == "rate" else f"{args.in_flight} in flight"
    )
    print_table(f"{scenario}: {load}", rows, header)
    if scenario == "rate":
        print(f"latest send behind schedule: real {real.late_ms:.0f} ms, echo {echo.late_ms:.0f} ms")
    ratio = (real.bot_cpu / len(real.samples)) / (echo.bot_cpu / len(echo.samples))
    p99 = percentile(real.latencies(), 99)
    return [
        scenario,
        rows[0][6],
        rows[1][6],
        ratio,
        real.rate / echo.rate,
        p99,
        percentile(echo.latencies(), 99),
    ]


async def run(args: argparse.Namespace, path: Path, personas: list[Persona], staff: list[int]) -> None:
    workdir = path.parent
    options: dict[str, object] = {"budget": args.updates, "in_flight": args.in_flight}
    options |= {"database_url": sqlite_url(path), "staff": staff, "workdir": workdir, "seed": args.seed}
    summary = []
    for scenario in [s for s in SCENARIOS if s in args.only.split(",")]:
        real, echo = await pair(scenario, args, personas, options)
        summary.append(report(scenario, real, echo, args))
    header = ["scenario", "real CPU ms/update", "echo CPU ms/update", "CPU real/echo", "rate real/echo"]
    print_table("Summary", summary, [*header, "real p99 ms", "echo p99 ms"])
    for row in summary:
        scenario, ratio, p99 = row[0], float(row[3]), float(row[5])  # type: ignore[arg-type]
        if scenario == "rate":
            verdict = "met" if p99 < P99_TARGET_MS else "NOT met"
            print(f"rate: p99 {p99:.0f} ms at {args.rate:g}/s (target < {P99_TARGET_MS:.0f} ms: {verdict})")
        else:
            verdict = "met" if ratio <= CPU_TARGET else "NOT met"
            print(f"{scenario}: CPU per update {ratio:.2f}x echo's (target <= {CPU_TARGET:g}x: {verdict})")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    path, world, personas, took = chat_data(args)
    print(f"Chat targets · {machine()} · load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{world.customers:,} customers, {world.shipments:,} shipments in SQLite (ready in {took[0]:.0f} s); "
        f"{len(personas)} users; closed loops {args.updates:,} updates at {args.in_flight} in flight; "
        f"open loop {args.rate:g}/s for {args.seconds:g} s"
    )
    try:
        staff = [member.telegram_user_id for member in world.staff]
        asyncio.run(run(args, path, personas, staff))
    finally:
        for copy in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            copy.unlink(missing_ok=True)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; bot logs: {path.parent}")


if __name__ == "__main__":
    main()
