"""Chat throughput: the whole bot stack against a bare aiogram echo bot, through the same Bot API sandbox.

    .venv/bin/python -m bench.chat_throughput --keep /tmp/chat.db  # 20,000 updates, 500 users, 100k customers
                                                   # and 1M shipments (the data is kept for the next run)
    .venv/bin/python -m bench.chat_throughput --quick     # 500 updates, 50 users, small data: < 1 minute
    .venv/bin/python -m bench.chat_throughput --profile   # then a cProfile pass of the real bot

Processes. As in production, where Telegram is far away, the Bot API and the bot do not share a CPU: this
process runs the sandbox and the simulated users (`bench.chat_users`), and each bot under test runs in a
process of its own: first the real one through `bot.runtime.app.run_polling` (scheduler off, outbox sender on,
INFO logging as the CLI sets it), then `bench.echo_bot`. Both are started, warmed up (every user's first
lookup, untimed), driven and timed the same way; on a 2-core box each side has a core.

Load. All users are active at once, each waiting for its reply before its next update, and at most
--in-flight updates are outstanding (users queue for a free slot, first come first served). This closed
loop at a fixed depth makes updates/s each bot's capacity, and p50/p99 what a user sees at that depth:
queueing plus service (Little's law: mean latency ~ depth / throughput). 16 in flight saturates both bots;
a second pair of passes then sends --alone updates one at a time, the bare service time a user sees when
the bot is not overloaded. The echo bot is sent exactly the updates the real bot was sent.

Latency: from the moment the sandbox queued the update to the moment the reply the user waits for reached
the sandbox (the message sent, or for a button that edits its message, the edit), on one clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pstats
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.chat_users import (
    TOKEN,
    Load,
    Pace,
    Person,
    Persona,
    ReplyWatcher,
    Step,
    choose_personas,
    live,
    replay,
)
from bench.common import machine, percentile, print_table, sqlite_file, sqlite_url, stopwatch
from bench.datagen import World, prepare_sqlite
from portcrm.settings import PROJECT_ROOT
from sandbox import BotAPISandbox

IDLE = "idle (waiting in epoll)"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Pass:
    """One bot driven by the users: every update's latency, and what the bot process spent meanwhile."""

    kind: str
    samples: list[tuple[str, float]]  # (kind of update, seconds)
    seconds: float
    bot_cpu: float  # CPU seconds of the bot process in the timed window, all threads
    bot_loop_cpu: float  # of its main thread, which runs the event loop
    driver_cpu: float  # of this process: the sandbox and the users
    bot_rss_mb: float
    scripts: dict[int, list[Step]]
    handled: int  # updates in the profiled window
    profile: Path | None
    late_ms: float = 0.0  # at a fixed rate: how far the latest update was sent behind its schedule

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds

    def latencies(self, label: str | None = None) -> list[float]:
        return [seconds * 1000 for name, seconds in self.samples if label in (None, name)]


def _cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User plus system CPU time of a process (all its threads) or of one of its threads."""
    path = Path(f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat")
    fields = path.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _cpu_now(pid: int) -> tuple[float, float, float]:
    return _cpu_seconds(pid), _cpu_seconds(pid, pid), time.process_time()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _start_bot(
    kind: str,
    sandbox: BotAPISandbox,
    database_url: str,
    log: Path,
    profile: Path | None,
    env_extra: dict[str, str],
) -> asyncio.subprocess.Process:
    """`bench.bot_process`: the real bot as `portcrm run` starts it (scheduler off), or the echo bot."""
    args = [kind, *(["--profile-out", str(profile)] if profile else [])]
    env = {name: value for name, value in os.environ.items() if not name.startswith("PORTCRM_")}
    if kind == "echo":
        args += ["--api", sandbox.base_url, "--token", TOKEN]
    else:
        env |= {
            "PORTCRM_BOT_TOKEN": TOKEN,
            "PORTCRM_DATABASE_URL": database_url,
            "PORTCRM_TELEGRAM_API_URL": sandbox.base_url,
            "PORTCRM_RUN_SCHEDULER": "false",
            "PORTCRM_TELEGRAM_RATE": "inf",  # the echo bot keeps no overall pace either: CPU is measured
        } | env_extra
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bot_process",
            *args,
            stdout=out,
            stderr=out,
            cwd=PROJECT_ROOT,
            env=env,
        )
    deadline = time.monotonic() + 120
    while not any(call.method.lower() == "getupdates" for call in sandbox.state.calls):
        if process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the {kind} bot did not start polling; see {log}")
        await asyncio.sleep(0.05)
    return process


async def run_pass(
    kind: str,
    personas: Sequence[Persona],
    *,
    staff: Sequence[int],
    budget: int,
    in_flight: int,
    database_url: str,
    workdir: Path,
    seed: int,
    scripts: dict[int, list[Step]] | None = None,
    profile: bool = False,
    act: Callable[[Person], Awaitable[None]] = live,
    rate: float | None = None,
    sampled: Path | None = None,
    env: dict[str, str] | None = None,
) -> Pass:
    """Start the bot, warm it up, then run the users: `act`, or replaying `scripts`.

    At most `in_flight` updates outstanding (a closed loop), or with `rate` one update sent every 1/rate
    seconds whatever the replies (an open loop: a user still waits for its own reply before its next).
    `sampled`: py-spy samples the bot during the timed window into this file (collapsed stacks)."""
    name = f"{kind}-profiled" if profile else kind
    profile_path = workdir / f"{name}.prof" if profile else None
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN, username="portcrm_bench_bot", first_name="PortCRM")
        users = [sandbox.add_user(p.user_id, f"User {p.user_id}", language_code=p.language) for p in personas]
        for user_id in staff:  # colleagues have opened the bot: complaint alerts reach them
            sandbox.add_user(user_id, f"Staff {user_id}", language_code="zh-hans")
            sandbox.state.bots[TOKEN].started.add(user_id)
        log = workdir / f"{name}.log"
        process = await _start_bot(kind, sandbox, database_url, log, profile_path, env or {})
        watcher = ReplyWatcher(sandbox.state)
        watching = asyncio.create_task(watcher.run())

        def people(budget: int, seed: int, pace: Pace | None = None) -> list[Person]:
            slots = pace or asyncio.Semaphore(in_flight)
            load = Load(sandbox, watcher, budget, slots, echo=kind == "echo")
            return [
                Person(load, user, persona, random.Random(seed * 1_000_003 + persona.user_id))
                for user, persona in zip(users, personas, strict=True)
            ]

        try:
            # every user's first lookup: connections, caches, the Telegram language saved once; twice, as
            # saving it changes what identities are made of, and those read before are read again once
            for _ in range(2):
                warm = people(len(users), 0)
                await asyncio.gather(*(p.say("warm-up", f"/track {p.persona.references[0]}") for p in warm))
            pace = Pace(rate) if rate else None
            crowd = people(budget, seed, pace)
            if profile:
                process.send_signal(signal.SIGUSR1)
            sampler = await _sample(process.pid, sampled) if sampled else None
            started = _cpu_now(process.pid)
            if scripts is None:
                await asyncio.gather(*(act(p) for p in crowd))
            else:
                await asyncio.gather(*(replay(p, scripts.get(p.user.id, [])) for p in crowd))
            ended = _cpu_now(process.pid)
            if sampler is not None:
                sampler.send_signal(signal.SIGINT)
                await sampler.wait()
            if profile:
                process.send_signal(signal.SIGUSR2)
            rss = _rss_mb(process.pid)
            # whoever the budget cut off in the middle of the complaint form cancels it, for the next pass
            cut_off = {p.user.id for p in crowd if p.in_form}
            tidy = [p for p in people(len(cut_off), 0) if p.user.id in cut_off]
            await asyncio.gather(*(p.say("tidy", "/cancel") for p in tidy))
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
    load = crowd[0].load
    return Pass(
        name,
        load.samples,
        max(load.replied) - min(load.queued),
        bot_cpu=ended[0] - started[0],
        bot_loop_cpu=ended[1] - started[1],
        driver_cpu=ended[2] - started[2],
        bot_rss_mb=rss,
        scripts={p.user.id: p.script for p in crowd},
        handled=len(load.samples),
        profile=profile_path,
        late_ms=1000 * pace.late if pace else 0.0,
    )


async def _sample(pid: int, out: Path) -> asyncio.subprocess.Process:
    """py-spy sampling the bot's process at 250 Hz, each stack under its thread, until it is sent SIGINT."""
    spy = Path(sys.executable).with_name("py-spy")
    args = [
        "record",
        "--pid",
        str(pid),
        "--rate",
        "250",
        "--threads",
        "--format",
        "raw",
        "--output",
        str(out),
    ]
    process = await asyncio.create_subprocess_exec(
        spy, *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await asyncio.sleep(0.5)  # attached
    return process


def print_passes(passes: Sequence[Pass], in_flight: int) -> None:
    rows = []
    for p in passes:
        ms = p.latencies()
        rows.append(
            [
                p.kind,
                len(p.samples),
                p.seconds,
                p.rate,
                percentile(ms, 50),
                percentile(ms, 99),
                max(ms),
                1000 * p.bot_cpu / len(p.samples),
                f"{100 * p.bot_cpu / p.seconds:.0f}%",
                f"{100 * p.bot_loop_cpu / p.seconds:.0f}%",
                f"{100 * p.driver_cpu / p.seconds:.0f}%",
                p.bot_rss_mb,
            ]
        )
    header = ["bot", "updates", "seconds", "updates/s", "p50 ms", "p99 ms", "max ms", "bot CPU ms/update"]
    header += ["bot CPU", "its event loop", "sandbox+users CPU", "bot RSS MB"]
    print_table(f"Throughput and latency, {in_flight} updates in flight", rows, header)


def print_steps(real: Pass, echo: Pass) -> None:
    labels = sorted({label for label, _ in real.samples}, key=lambda label: -len(real.latencies(label)))
    rows = [
        [
            label,
            len(real.latencies(label)),
            percentile(real.latencies(label), 50),
            percentile(real.latencies(label), 99),
            percentile(echo.latencies(label), 50),
            percentile(echo.latencies(label), 99),
        ]
        for label in labels
    ]
    header = ["update", "count", "real p50 ms", "real p99 ms", "echo p50 ms", "echo p99 ms"]
    print_table("Latency by kind of update", rows, header)


#: Work per update, counted in the profile (plain functions: a coroutine's every resumption is a "call").
COUNTED = (
    ("database transactions", "portcrm/storage/sqlite_driver.py", "begin"),
    ("SQL statements", "sqlalchemy/engine/default.py", "do_execute"),
    ("calls into the SQLite thread", "~", "<method 'put_nowait' of '_queue.SimpleQueue' objects>"),
    ("Bot API requests", "aiogram/client/session/base.py", "check_response"),
    ("pydantic model classes built", "pydantic/_internal/_generics.py", "create_generic_submodel"),
    ("babel locale name lookups", "babel/localedata.py", "normalize_locale"),
)


def print_profile(path: Path, updates: int, top: int = 20) -> None:
    """Own time by package and by function (cumulative times mean little across greenlets and
    coroutines), and counts that say how much work one update costs."""
    entries = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for key, (_cc, _nc, own, _cum, _callers) in entries.items():
        groups[_group(key)] = groups.get(_group(key), 0.0) + own
    idle = groups.pop(IDLE, 0.0)
    busy = sum(groups.values())
    print(f"\nprofiled bot: {busy:.1f} s busy, {idle:.1f} s idle in epoll, {updates} updates")
    rows = [
        [name, seconds, f"{100 * seconds / busy:.1f}%"]
        for name, seconds in sorted(groups.items(), key=lambda item: -item[1])[:12]
    ]
    print_table("Real bot profile: own time by package", rows, ["package", "seconds", "share of busy"])
    ranked = sorted(
        ((key, value) for key, value in entries.items() if _group(key) != IDLE), key=lambda item: -item[1][2]
    )
    rows = [
        [function if filename == "~" else f"{_short(filename)}:{line} {function}", calls, own]
        for (filename, line, function), (_cc, calls, own, _cum, _callers) in ranked[:top]
    ]
    print_table(f"Real bot profile: top {top} functions by own time", rows, ["function", "calls", "own s"])
    rows = [
        [what, sum(v[1] for k, v in entries.items() if k[0].endswith(ending) and k[2] == name) / updates]
        for what, ending, name in COUNTED
    ]
    print_table("Real bot profile: work per update", rows, ["per update", "count"])


def _group(key: tuple[str, int, str]) -> str:
    """Who a profiled function belongs to: a package, a stdlib module, or a builtin."""
    filename, _line, function = key
    if filename == "~":
        return IDLE if "epoll" in function else "builtins (C)"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if filename.startswith(str(PROJECT_ROOT)):
        return Path(filename).relative_to(PROJECT_ROOT).parts[0]
    return "stdlib " + Path(filename).stem


def _short(filename: str) -> str:
    parts = Path(filename).parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    if filename.startswith(str(PROJECT_ROOT)):
        return str(Path(filename).relative_to(PROJECT_ROOT))
    return Path(filename).name


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 updates, 50 users, small data")
    parser.add_argument("--updates", type=int, default=500 if quick else 20_000)
    parser.add_argument("--users", type=int, default=50 if quick else 500)
    parser.add_argument("--in-flight", type=int, default=16, help="updates outstanding at once")
    parser.add_argument(
        "--alone",
        type=int,
        default=100 if quick else 400,
        help="then this many updates one at a time: latency without queueing (0 to skip)",
    )
    parser.add_argument("--customers", type=int, default=2_000 if quick else 100_000)
    parser.add_argument("--shipments", type=int, default=20_000 if quick else 1_000_000)
    parser.add_argument("--keep", type=Path, help="cache the generated database here and reuse it")
    parser.add_argument("--profile", action="store_true", help="then profile the real bot in one more pass")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


async def run(
    args: argparse.Namespace, database_url: str, personas: list[Persona], staff: list[int], workdir: Path
) -> None:
    options = {"budget": args.updates, "in_flight": args.in_flight, "database_url": database_url}
    options |= {"staff": staff, "workdir": workdir, "seed": args.seed}
    real = await run_pass("real", personas, **options)
    echo = await run_pass("echo", personas, scripts=real.scripts, **options)
    print_passes([real, echo], args.in_flight)
    print_steps(real, echo)
    ratio, p99 = real.rate / echo.rate, percentile(real.latencies(), 99)
    cost = (real.bot_cpu / len(real.samples)) / (echo.bot_cpu / len(echo.samples))
    print(f"\nreal / echo throughput: {ratio:.2f} (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
    print(f"real p99 latency: {p99:.0f} ms (target < 50 ms: {'met' if p99 < 50 else 'NOT met'})")
    print(f"real / echo CPU per update: {cost:.1f}x")
    if args.alone:
        # At 16 in flight a saturated bot's latency is mostly its queue (Little's law: 16 / rate); one
        # update at a time shows what a user waits for when the bot is not overloaded.
        alone = options | {"budget": args.alone, "in_flight": 1}
        real_alone = await run_pass("real", personas, **alone)
        echo_alone = await run_pass("echo", personas, scripts=real_alone.scripts, **alone)
        print_passes([real_alone, echo_alone], 1)
        p99 = percentile(real_alone.latencies(), 99)
        verdict = "met" if p99 < 50 else "NOT met"
        print(f"real p99 latency one at a time: {p99:.0f} ms (target < 50 ms: {verdict})")
    if args.profile:
        profiled = await run_pass("real", personas, profile=True, **options)
        print(f"\nprofiled pass: {len(profiled.samples)} updates at {profiled.rate:.0f}/s under cProfile")
        assert profiled.profile is not None
        print_profile(profiled.profile, profiled.handled)


def chat_data(args: argparse.Namespace) -> tuple[Path, World, list[Persona], list[float]]:
    """A scratch SQLite file of the asked size (cached by --keep), its users, and the seconds it took."""
    path = sqlite_file()
    # enough linked contacts to pick the ones whose company has cargo on the move
    linked = min(args.customers, 8 * args.users, args.shipments // 3)
    with stopwatch() as took:
        world = prepare_sqlite(
            path,
            keep=args.keep,
            customers=args.customers,
            shipments=args.shipments,
            invoices=0,
            linked_users=linked,
        )
    return path, world, choose_personas(path, world.linked, args.users), took


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    path, world, personas, took = chat_data(args)
    moving = sum(len(p.references) > 2 for p in personas)
    print(f"Chat throughput · {machine()}")
    print(
        f"{world.customers:,} customers, {world.shipments:,} shipments in SQLite (ready in {took[0]:.0f} s); "
        f"{len(personas)} users ({moving} with a shipment on the move), {args.updates:,} updates, "
        f"{args.in_flight} in flight"
    )
    try:
        staff = [member.telegram_user_id for member in world.staff]
        asyncio.run(run(args, sqlite_url(path), personas, staff, path.parent))
    finally:
        for copy in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            copy.unlink(missing_ok=True)
    print(f"\nbot logs and profiles: {path.parent}")


if __name__ == "__main__":
    main()
