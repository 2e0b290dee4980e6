"""The command line: `python -m grader VERB ...`, a thin layer over one function per verb."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import stubs

REPO = Path(__file__).resolve().parents[1]


class UsageProblem(Exception):
    """A problem the user can fix; shown as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader",
                                     description="Grade calculus-for-optimization exercises.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    exercises = verbs.add_parser("exercises", help="regenerate exercises/ from solutions/")
    exercises.add_argument("--check", action="store_true",
                           help="only report whether exercises/ is up to date (exit 1 if not)")
    exercises.set_defaults(run=run_exercises)
    return parser


def run_exercises(args: argparse.Namespace) -> int:
    solutions, exercises = REPO / "solutions", REPO / "exercises"
    if not solutions.is_dir():
        raise UsageProblem(f"{solutions} not found: run this from a full checkout of the kit")
    if args.check:
        drifted = stubs.drifted_files(solutions, exercises)
        if drifted:
            print("exercises/ is out of date: " + ", ".join(drifted)
                  + "; run `python -m grader exercises`")
            return 1
        print("exercises/ matches solutions/")
        return 0
    written = stubs.write_exercises(solutions, exercises)
    print(f"wrote {len(written)} modules to exercises/")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except stubs.MarkerError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
