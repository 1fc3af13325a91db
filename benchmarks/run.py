"""Time `synapse-gate check --format json` end to end against merely parsing the same file.

    python benchmarks/run.py                        # 10k, 100k, 1M events; 3 runs each (medians)
    python benchmarks/run.py --sizes 10000 --repeat 5 --jobs 1 --profile ladder

For each size a seeded history is generated (benchmarks/generate.py; cached in benchmarks/data/),
then: parse-only = `json.loads` of every line in this process; check = a fresh
`python -m gate check --format json --output /dev/null FILE` subprocess, with its peak RSS read from
the kernel (wait4). Prints a Markdown table to paste into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402


def data_file(n: int, profile: str, lineages: int, seed: int) -> Path:
    path = HERE / "data" / f"{profile}-{n}-l{lineages}-s{seed}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        import random

        records = list(generate(n, lineages, seed, profile=profile))
        random.Random(seed + 1).shuffle(records)
        with path.open("w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
    return path


def parse_only(path: Path) -> float:
    t = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            json.loads(line)
    return time.perf_counter() - t


def check(path: Path, jobs: int, policy: str) -> tuple[float, int, int]:
    cmd = [sys.executable, "-m", "gate", "check", "--policy", policy, "--format", "json",
           "--output", os.devnull, "--as-of", "2026-01-01", "--jobs", str(jobs), str(path)]  # fmt: skip
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"check failed with exit {code}: {err}")
    return elapsed, usage.ru_maxrss * 1024, code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0, help="--jobs of check; 0 (its default): one per CPU")
    ap.add_argument("--lineages", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", choices=["realistic", "ladder"], default="realistic")
    ap.add_argument("--policy", default="spec-locked-drift")
    a = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; profile {a.profile}, {a.lineages} lineages, "
          f"jobs {a.jobs}, policy {a.policy}, median of {a.repeat}")  # fmt: skip
    print()
    print("| events | file MB | parse-only s | check s | ratio | peak RSS MiB | exit |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in a.sizes:
        path = data_file(n, a.profile, a.lineages, a.seed)
        parses, runs = [], []
        for _ in range(a.repeat):  # interleaved, so that a slow spell of the machine hits both alike
            parses.append(parse_only(path))
            runs.append(check(path, a.jobs, a.policy))
        parse = statistics.median(parses)
        secs = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        print(f"| {n:,} | {path.stat().st_size / 1e6:.1f} | {parse:.2f} | {secs:.2f} | {secs / parse:.2f} | "
              f"{rss / 2**20:.0f} | {runs[0][2]} |", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
