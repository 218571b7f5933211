"""`python -m bench [name ...]`: run the benchmarks (all by default) and update bench/RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

# Every benchmark, in the order of RESULTS.md: a module of this package exposing run() -> str.
BENCHMARKS = (
    "compose_rewrite",
    "pixel",
    "recorder",
    "smtp_ingest",
    "ws_latency",
    "timeline",
    "soak",
)
RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Written by `python -m bench` (see docs/benchmarks.md). Each section says the command, date "
    "and machine that made it; a section is replaced only when its benchmark is run again.\n"
)
SECTION = re.compile(r"<!-- bench:(\w+) -->\n.*?<!-- /bench:\1 -->\n", re.DOTALL)


def cpu_model() -> str:
    """The processor's name, when Linux says it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def machine() -> str:
    """Cores, processor, Python and system of this run."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{usable} usable cores ({os.cpu_count()} present), {cpu_model()}; "
        f"Python {platform.python_version()}; {platform.system()} {platform.release()}"
    )


def section(name: str, body: str, command: str) -> str:
    """One benchmark's section, between markers that a later run finds and replaces."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<!-- bench:{name} -->\n## {name}\n\n"
        f"- Command: `{command}`\n- Date: {date}\n- Machine: {machine()}\n\n"
        f"{body.rstrip()}\n<!-- /bench:{name} -->\n"
    )


def kept_sections() -> dict[str, str]:
    """The sections already in RESULTS.md, by benchmark name."""
    if not RESULTS.exists():
        return {}
    return {found.group(1): found.group(0) for found in SECTION.finditer(RESULTS.read_text())}


def write_results(sections: dict[str, str]) -> None:
    """RESULTS.md with the known benchmarks' sections in order, then any others kept."""
    order = [name for name in BENCHMARKS if name in sections]
    order += [name for name in sections if name not in BENCHMARKS]
    RESULTS.write_text(HEADER + "".join(f"\n{sections[name]}" for name in order))


def main(argv: list[str] | None = None) -> None:
    """Run the named benchmarks (all when none is named) and rewrite their sections."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=", ".join(BENCHMARKS))
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    command = shlex.join(["python", "-m", "bench", *argv])
    sections = kept_sections()
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        body = importlib.import_module(f"bench.{name}").run()
        sections[name] = section(name, body, command)
        write_results(sections)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
