"""Throughput of bplib-grade: 100 mixed submissions graded in the sandbox at -j 2.

    .venv/bin/python benchmarks/grading_throughput.py [--n 100] [-j 2] [--timeout 10]

Builds the submissions from solutions/ (tests/grading_submissions.py and the attacks of
tests/test_grading_attacks.py): 40 % solutions, 15 % untouched exercises, 25 % planted bugs,
20 % attacks (cheats through the real builtins, links to the solutions, forged answers, deep
code, output floods, fork bombs, sleepers that hit the timeout). Grades them with the real
command line in a fresh process, prints the wall time, the machine's load before and after
(the machine may be shared) and whether the goal (under 240 s for 100 submissions on 2 cores)
is met, and checks that every solution got full marks and every blank 0.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import grading_submissions as subs  # noqa: E402
import test_grading_attacks as attacks  # noqa: E402

GOAL_S = 240.0


def build(root: Path, n: int) -> dict[str, str]:
    """Write n submissions under root; return name -> kind."""
    ex = attacks.EX
    blank = {e: attacks._cell_of(subs.EXERCISES / ex[e].notebook, ex[e].cell)
             for e in attacks.AUTO}
    attack_edits = {
        "cheat_reference": {"ex1": attacks._whole(attacks.CHEAT_REFERENCE)},
        "cheat_solutions": {"ex2": attacks._whole(attacks.cheat_from_notebook(
            subs.SOLUTIONS / ex["ex2"].notebook, ex["ex2"].cell))},
        "forged_header": {"ex4": attacks._whole(attacks.HUGE_HEADER + blank["ex4"])},
        "deep_code": {"ex2": subs.append("_x = " + "-" * 100_000 + "1\n")},
        "flood": {"ex3": attacks._after(attacks.FLOOD_STDOUT)},
        "fork_bomb": {"ex6": attacks.canary("ex6", attacks.FORK_AND_THREADS)},
        "sleeper": {"ex6": attacks._after(attacks.SLEEP_IN_REL_ERROR)},
        "snoop": {"ex2": attacks.canary("ex2", attacks.SNOOP.format(
            subs=str(root), book="/nonexistent", root=str(ROOT)))},
    }
    kinds: dict[str, str] = {}
    bugs = sorted(subs.BUGGY)
    n_sol, n_blank, n_bug = round(0.4 * n), round(0.15 * n), round(0.25 * n)
    for i in range(n):
        name = f"s{i:03d}"
        if i < n_sol:
            subs.build(root / name)
            kinds[name] = "solution"
        elif i < n_sol + n_blank:
            subs.build(root / name, source=subs.EXERCISES)
            kinds[name] = "blank"
        elif i < n_sol + n_blank + n_bug:
            bug = subs.BUGGY[bugs[i % len(bugs)]]
            subs.build(root / name, {bug.exercise: bug.edit})
            kinds[name] = "bug"
        else:
            which = sorted(attack_edits)[i % (len(attack_edits) + 1) - 1] \
                if i % (len(attack_edits) + 1) else "symlinks"
            if which == "symlinks":
                (root / name).mkdir()
                for e in ex.values():
                    (root / name / e.notebook).symlink_to(subs.SOLUTIONS / e.notebook)
            else:
                subs.build(root / name, attack_edits[which])
            kinds[name] = f"attack:{which}"
    return kinds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bplib-throughput-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        kinds = build(root / "collected", args.n)
        built = time.perf_counter() - t0
        book = root / "grades" / "gradebook.csv"
        cmd = [str(Path(sys.executable).with_name("bplib-grade")),
               *sorted(str(p) for p in (root / "collected").iterdir()), "-o", str(book),
               "--feedback", str(root / "grades" / "feedback"), "-j", str(args.jobs),
               "--timeout", str(args.timeout), "--no-progress"]
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        load_after = os.getloadavg()
        with open(book, newline="") as f:
            rows = {r["submission"]: r for r in csv.DictReader(f)}
    count = {k: sum(v == k for v in kinds.values()) for k in ("solution", "blank", "bug")}
    count["attack"] = sum(v.startswith("attack") for v in kinds.values())
    sandboxed = "sandbox works" in res.stderr
    print(f"{args.n} submissions ({count['solution']} solutions, {count['blank']} untouched, "
          f"{count['bug']} planted bugs, {count['attack']} attacks), built in {built:.1f} s")
    print(f"graded with -j {args.jobs}, {'sandbox' if sandboxed else 'NO SANDBOX'}, "
          f"--timeout {args.timeout:g}: {elapsed:.1f} s ({elapsed / args.n:.2f} s per "
          f"submission), exit code {res.returncode}")
    print(f"machine: {os.cpu_count()} CPUs, load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f} (1-min; a shared machine slows the run)")
    scaled = elapsed * 100 / args.n
    print(f"goal: 100 submissions in under {GOAL_S:.0f} s -> {scaled:.1f} s for 100: "
          f"{'PASS' if scaled < GOAL_S else 'MISS'}")
    full = f"{sum(e.points for e in attacks.EX.values()):g}"
    wrong = [n for n, k in kinds.items()
             if (k == "solution" and (rows[n]["status"], rows[n]["total"]) != ("ok", full))
             or (k == "blank" and rows[n]["total"] != "0")]
    missing = sorted(set(kinds) - set(rows))
    print(f"checks: {len(rows)} rows; solutions all {full} and blanks all 0: "
          f"{'yes' if not wrong else 'NO ' + str(wrong[:5])}; missing rows: {missing or 'none'}")
    return 0 if not wrong and not missing and res.returncode in (0, 1) and sandboxed else 1


if __name__ == "__main__":
    sys.exit(main())
