"""Time the forensic report end to end, as a user runs it (not run by the tests).

    python benchmarks/bench_report.py [--election ru-2011-duma] [--repeats 1] [--sims 10000]
                                      [--boot 1000] [--seed 1] [--out DIR]

Runs ``tallyscope report ELECTION -o FILE`` in a fresh process (interpreter start, imports,
loading, the battery with its default Monte Carlo sizes, the e-vote comparison where the
election has one, figures and HTML), and reports the wall time, the steps' times the command
prints, and the size of the file. Targets: under 60 s on a 2-core machine, under 10 MB.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 60.0
LIMIT_MB = 10.0


def run(election: str, out: Path, sims: int, boot: int, seed: int) -> tuple[float, str]:
    command = [
        sys.executable, "-m", "tallyscope.cli", "report", election, "-o", str(out),
        "--sims", str(sims), "--boot", str(boot), "--seed", str(seed),
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` failed:\n{done.stderr}")
    return elapsed, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--election", default="ru-2011-duma")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the report in this folder")
    args = parser.parse_args()

    folder = args.out or Path(tempfile.mkdtemp(prefix="tallyscope-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{args.election}.html"
    times, last = [], ""
    for _ in range(args.repeats):
        elapsed, last = run(args.election, out, args.sims, args.boot, args.seed)
        times.append(elapsed)
    size_mb = out.stat().st_size / 1e6
    wall = statistics.median(times)
    steps = re.search(r"\((loading .*)\)$", last)
    print(f"tallyscope report {args.election} --sims {args.sims} --boot {args.boot}")
    print(f"  wall time   {wall:6.1f} s  (median of {len(times)}; target < {LIMIT_S:g} s)")
    if steps:
        print(f"  steps       {steps.group(1)}")
    print(f"  file size   {size_mb:6.2f} MB (target < {LIMIT_MB:g} MB): {out}")
    ok = wall < LIMIT_S and size_mb < LIMIT_MB
    print("  within targets" if ok else "  OUTSIDE THE TARGETS")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
