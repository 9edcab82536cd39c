"""The bot side of `bench.chat_throughput`: one bot in a process of its own, optionally profiled.

`real` is the production command (`portcrm run`, configured by PORTCRM_* variables); `echo` is
`bench.echo_bot`. With --profile-out, SIGUSR1 starts cProfile and SIGUSR2 stops it, so the profile covers
exactly the timed window and not the start-up; it is written when the bot stops (SIGTERM).
"""

from __future__ import annotations

import argparse
import cProfile
import signal
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["real", "echo"])
    parser.add_argument("--profile-out", type=Path)
    args, rest = parser.parse_known_args()
    profiler = cProfile.Profile()
    if args.profile_out:
        signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
        signal.signal(signal.SIGUSR2, lambda *_: profiler.disable())
    try:
        if args.kind == "real":
            from bot.runtime.cli import main as portcrm

            portcrm(["run", *rest])
        else:
            from bench.echo_bot import main as echo

            echo(rest)
    finally:
        if args.profile_out:
            profiler.disable()
            profiler.dump_stats(args.profile_out)


if __name__ == "__main__":
    main()
