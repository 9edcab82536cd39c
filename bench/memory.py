"""The bot's resident memory over a port-sized database, against a bare aiogram echo bot's, in one run.

Each bot runs alone in a process started from a clean interpreter (so its RSS is its own, not a fork of this
one, which holds the data set), polling the local Bot API sandbox: the real one is the `portcrm` command
itself (`portcrm run`, with the defaults: scheduler on; no PORTCRM_* variable of this shell reaches it but
the token, the sandbox and the database) on the 100k-customer / 1M-shipment SQLite file, the echo bot is
`bench/echo_bot.py` (aiogram alone). Both get the same few hundred updates: customers' /track by B/L,
booking and pasted container number and /shipments, staff /find by customer code and by name. RSS and its
peak (VmHWM) are read from /proc; the ratios to the echo bot's are the target. The scheduler catches up at
start-up on whichever jobs are due at that hour, so the jobs that ran are listed. Then where the memory
goes: RSS after each step of the imports in a fresh interpreter, and the real bot's RSS by kind of mapping
(malloc heap, anonymous maps, libraries) with its thread count.

    .venv/bin/python -m bench.memory            # full scale, 600 updates
    .venv/bin/python -m bench.memory --quick    # small data, 120 updates
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import machine, percentile, print_table, sqlite_file, sqlite_url

if TYPE_CHECKING:  # the served bots import only what they run: these stay out of their memory
    from bench.datagen import World
    from sandbox import BotAPISandbox, SandboxUser

PROJECT_ROOT = Path(__file__).resolve().parent.parent

TOKEN = "7000002:PORTCRM-memory-bench"
TARGET_RATIO = 1.15  # idle and peak RSS, each against the echo bot's (issue 18)
LAST_LOG = Path(tempfile.gettempdir()) / "portcrm-bench-memory-last.log"
SETTLE_SECONDS = 2.0  # after the first getUpdates: start-up work done, the bot waiting on the next poll
FULL = {"customers": 100_000, "shipments": 1_000_000, "invoices": 1_000_000, "linked_users": 1000}
QUICK = {"customers": 5_000, "shipments": 50_000, "invoices": 50_000, "linked_users": 50}
CONCURRENCY = 8  # users waiting on a reply at once
NAME_WORDS = ("海通", "恒信", "港联", "顺达", "东方", "金港", "四海", "宏远")


@dataclass(frozen=True, slots=True)
class Memory:
    """VmRSS now and VmHWM (the peak), in MB."""

    rss: float
    peak: float


def memory_of(pid: int) -> Memory:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return Memory(fields["VmRSS"], fields["VmHWM"])


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    steps: list[tuple[int, str]]  # (telegram user id, text)


@dataclass(frozen=True, slots=True)
class Measured:
    bot: str
    phase: str
    updates: int
    memory: Memory  # after the phase
    latencies: list[float]  # ms, from the update to the first reply
    regions: dict[str, float]  # resident MB by kind of mapping, after the phase
    threads: int


def phases(world: World, updates: int, seed: int = 3) -> list[Phase]:
    """Customers tracking their cargo (two thirds), then staff finding customers by code or name."""
    rng = random.Random(seed)
    tracking = []
    for _ in range(updates * 2 // 3):
        user = rng.choice(world.linked)
        texts = (f"/track {user.bl_number}", f"/track {user.booking_ref}", user.container, "/shipments")
        tracking.append((user.telegram_user_id, rng.choice(texts)))
    staff = [s.telegram_user_id for s in world.staff]
    finding = []
    for n in range(updates - len(tracking)):
        query = f"C{rng.randrange(1, world.customers + 1):07d}" if n % 2 else rng.choice(NAME_WORDS)
        finding.append((rng.choice(staff), f"/find {query}"))
    return [Phase("customers: /track, /shipments", tracking), Phase("staff: /find", finding)]


def command(kind: str, api: str, database_url: str) -> tuple[list[str], dict[str, str]]:
    """What starts each bot: the echo bot's module, or the `portcrm` console script as an operator runs it."""
    # PortCRM's defaults, not whatever this shell has set
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTCRM_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    if kind == "echo":
        return [sys.executable, "-m", "bench.echo_bot", "--api", api, "--token", TOKEN], env
    env.update(PORTCRM_BOT_TOKEN=TOKEN, PORTCRM_TELEGRAM_API_URL=api, PORTCRM_DATABASE_URL=database_url)
    script = Path(sys.executable).with_name("portcrm")
    if script.exists():
        return [str(script), "run"], env
    return [
        sys.executable,
        "-c",
        "import sys; from bot.runtime.cli import main; sys.exit(main())",
        "run",
    ], env


async def _start(
    kind: str, sandbox: BotAPISandbox, database_url: str, log: Path
) -> asyncio.subprocess.Process:
    args, env = command(kind, sandbox.base_url, database_url)
    # run from the scratch directory, so that a developer's .env in the project is never read
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(*args, stdout=out, stderr=out, cwd=log.parent, env=env)
    deadline = time.monotonic() + 600  # at full scale the scheduler's catch-up runs before the first poll
    while not sandbox.calls_to("getUpdates"):
        if process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the {kind} bot did not start polling; see {log}")
        await asyncio.sleep(0.05)
    return process


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)  # run_polling handles it: a graceful stop
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def sandbox_for(
    world: World, users: set[int]
) -> AsyncIterator[tuple[BotAPISandbox, dict[int, SandboxUser]]]:
    from sandbox import BotAPISandbox

    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN, username="portcrm_memory_bot", first_name="PortCRM")
        people = {uid: sandbox.add_user(uid, f"User {uid}", language_code=None) for uid in users}
        sandbox.state.bots[TOKEN].started.update(users)
        yield sandbox, people


async def run_pass(
    kind: str, world: World, plan: list[Phase], database_url: str, workdir: Path
) -> tuple[list[Measured], int]:
    """Start the bot and let it settle, then each phase (CONCURRENCY users at a time), reading its memory;
    also the messages it sent in all. Each phase ends when every reply has come: the outbox may still be
    sending what the scheduler's catch-up queued (at full scale it is seldom idle), as in a port."""
    users = {uid for phase in plan for uid, _ in phase.steps}
    async with sandbox_for(world, users) as (sandbox, people):
        process = await _start(kind, sandbox, database_url, workdir / f"{kind}.log")
        try:
            await asyncio.sleep(SETTLE_SECONDS)
            measured = [Measured(kind, "started, idle", 0, *look_at(process.pid, []))]
            for phase in plan:
                latencies = await drive(sandbox, people, phase.steps)
                await asyncio.sleep(SETTLE_SECONDS)
                measured.append(
                    Measured(kind, phase.name, len(phase.steps), *look_at(process.pid, latencies))
                )
            sent = len(sandbox.calls_to("sendMessage"))
        finally:
            await _stop(process)
    return measured, sent


def look_at(pid: int, latencies: list[float]) -> tuple[Memory, list[float], dict[str, float], int]:
    return memory_of(pid), latencies, regions_of(pid), len(os.listdir(f"/proc/{pid}/task"))


async def drive(
    sandbox: BotAPISandbox, people: dict[int, SandboxUser], steps: list[tuple[int, str]]
) -> list[float]:
    """Each user sends their texts one after another, awaiting each reply; CONCURRENCY users at once."""
    latencies: list[float] = []
    queues: dict[int, list[str]] = {}
    for uid, text in steps:
        queues.setdefault(uid, []).append(text)

    async def turns(uid: int) -> None:
        for text in queues[uid]:
            sent = time.perf_counter()
            update = sandbox.send_text(TOKEN, people[uid], text)
            await sandbox.wait_for_reply(people[uid], after=update, timeout=300, token=TOKEN)
            latencies.append((time.perf_counter() - sent) * 1000)

    pending, running = list(queues), set[asyncio.Task[None]]()
    while pending or running:
        while pending and len(running) < CONCURRENCY:
            running.add(asyncio.create_task(turns(pending.pop())))
        done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    return latencies


IMPORT_STEPS = (
    ("aiogram, as the echo bot imports it", "bench.echo_bot"),
    (
        "SQLAlchemy's ORM, asyncio and SQLite",
        "sqlalchemy.orm, sqlalchemy.ext.asyncio, sqlalchemy.dialects.sqlite.aiosqlite",
    ),
    ("the `portcrm` command line and its settings", "bot.runtime.cli"),
    (
        "`portcrm run`: models, services, handlers, pipeline, outbox, scheduler",
        "bot.runtime.cli_commands, bot.runtime.app, bot.runtime.logs, bot.runtime.webhook_settings",
    ),
)
# run in a clean interpreter: RSS after Python itself, then after each step
IMPORT_SCRIPT = """
import json, sys
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
steps = [("Python", rss())]
for name, modules in json.loads(sys.argv[1]):
    for module in modules.split(", "):
        __import__(module)
    steps.append((name, rss()))
print(json.dumps(steps))
"""


async def imports_breakdown() -> list[tuple[str, float]]:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", IMPORT_SCRIPT, json.dumps(IMPORT_STEPS)),
        stdout=asyncio.subprocess.PIPE,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    out, _ = await process.communicate()
    return [(name, rss) for name, rss in json.loads(out)]


JOB_DONE = re.compile(r"job (\S+) period (\S+) done")
JOB_CHILD = re.compile(r"job (\S+) period (\S+) ran in a child process: ([\d.]+) s, peak (\d+) MB")


def jobs_run(log: Path) -> list[str]:
    """The scheduler's runs in the bot's log: at start-up it catches up on whatever is due at this hour.
    A child's peak is its highest so far: the catch-up runs its jobs in one child."""
    text = log.read_text(errors="replace")
    in_child = [
        f"{name} {period}: {seconds} s in a child, its peak {peak} MB"
        for name, period, seconds, peak in JOB_CHILD.findall(text)
    ]
    return in_child or [f"{name} {period}, in the bot's process" for name, period in JOB_DONE.findall(text)]


def regions_of(pid: int) -> dict[str, float]:
    """Resident MB by kind of mapping: the main heap (malloc), anonymous maps (Python's object arenas, thread
    arenas, SQLite's caches), shared libraries, and the rest."""
    kinds: dict[str, float] = {}
    kind = "other"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and not head[0].endswith(":"):
            path = head[5] if len(head) > 5 else ""
            kind = ("malloc heap" if path == "[heap]" else "anonymous" if not path
                    else "libraries" if ".so" in path else "other")  # fmt: skip
        elif head[0] == "Rss:":
            kinds[kind] = kinds.get(kind, 0.0) + int(head[1]) / 1024
    return kinds


async def main(args: argparse.Namespace) -> None:
    from bench.datagen import default_cache, prepare_sqlite

    sizes = QUICK if args.quick else FULL
    updates = args.updates if args.updates is not None else (120 if args.quick else 600)
    path = sqlite_file()
    world = await asyncio.to_thread(prepare_sqlite, path, keep=default_cache(sizes), **sizes)
    plan = phases(world, updates)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{machine()}\n{started}, load average {load()} at the start\n"
          f"{world.customers:,} customers, {world.shipments:,} shipments, "
          f"{world.invoices:,} invoices; {updates} updates, {CONCURRENCY} users at a time")  # fmt: skip
    imports = await imports_breakdown()
    try:
        echo, _ = await run_pass("echo", world, plan, sqlite_url(path), path.parent)
        echo_load = load()
        real, sent = await run_pass("portcrm", world, plan, sqlite_url(path), path.parent)
        real_load = load()
        jobs = jobs_run(path.parent / "portcrm.log")
    finally:
        with contextlib.suppress(OSError):  # for a look afterwards
            shutil.copyfile(path.parent / "portcrm.log", LAST_LOG)
        for leftover in path.parent.iterdir():
            leftover.unlink()
        path.parent.rmdir()
    rows = [
        [m.bot, m.phase, m.updates, m.memory.rss, m.memory.peak,
         *((percentile(m.latencies, 50), percentile(m.latencies, 99)) if m.latencies else ("", ""))]
        for m in (*echo, *real)
    ]  # fmt: skip
    print_table(
        "Resident memory of the bot process (MB), each bot alone in a process of its own",
        rows,
        ["Bot", "After", "Updates", "RSS", "Peak RSS (VmHWM)", "Reply p50 ms", "Reply p99 ms"],
    )
    print(f"\nload average after the echo pass {echo_load}, after PortCRM's {real_load}")
    print(f"PortCRM sent {sent} messages for {updates} updates (the rest: the outbox); its log: {LAST_LOG}")
    print("the scheduler's runs:" if jobs else "the scheduler ran no job")
    print("".join(f"- {run}\n" for run in jobs))
    for e, r in zip(echo, real, strict=True):
        print(f"{r.phase}: PortCRM {r.memory.rss:.0f} MB = echo {e.memory.rss:.0f} MB "
              f"{r.memory.rss - e.memory.rss:+.0f} MB ({r.memory.rss / e.memory.rss:.2f}×)")  # fmt: skip
    print()
    befores = [0.0, *(rss for _, rss in imports)][:-1]
    print_table(
        "Where PortCRM's memory goes: RSS after each step of its imports (MB), in a fresh interpreter",
        [[name, rss, rss - before] for (name, rss), before in zip(imports, befores, strict=True)],
        ["Imported", "RSS", "Step"],
    )
    print()
    kinds = ("malloc heap", "anonymous", "libraries", "other")
    print_table(
        "PortCRM's resident memory by kind of mapping (MB); anonymous holds Python's object arenas, the "
        "threads' malloc arenas and SQLite's page caches",
        [[m.phase, m.memory.rss, *(m.regions.get(k, 0.0) for k in kinds), m.threads] for m in real],
        ["After", "RSS", *kinds, "Threads"],
    )
    idle = real[0].memory.rss / echo[0].memory.rss
    peak = real[-1].memory.peak / echo[-1].memory.peak
    met = idle <= TARGET_RATIO and peak <= TARGET_RATIO
    print(f"\nTarget: idle and peak at most {TARGET_RATIO}× the echo bot's: {'met' if met else 'NOT met'} "
          f"(idle {real[0].memory.rss:.0f} / {echo[0].memory.rss:.0f} MB = {idle:.2f}×, "
          f"peak {real[-1].memory.peak:.0f} / {echo[-1].memory.peak:.0f} MB = {peak:.2f}×)")  # fmt: skip


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5k customers, 50k shipments, 120 updates")
    parser.add_argument("--updates", type=int)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
