"""`python -m grader audit`: how strong are the suites? A mutation audit of solutions/.

Every single-point mutant of the reference (grader.instructor.mutants: arithmetic and comparison
operators, constants, reductions, axes, range bounds, dropped copies, swapped arguments,
inside the solution regions only) is graded like a student's submission, through `batch`:
long-lived grading processes, `-j N`, progress, and a rerun keeps every mutant already
graded (when solutions/, the suites and the grader are unchanged; otherwise it starts
afresh). Each mutant runs only the checks it can change: those of its module and of the
modules that import it (a partial grade: no plots, no misconception matching). A mutant
is killed when it loses points. The audit reports the mutation score
and lists each survivor as a diff with the function it touches. Survivors reviewed as
equivalent (no correct check can tell them from the reference) are listed in
tests/equivalent_mutants.toml, each with a one-line reason; the audit exits 1 when a
mutant neither dies nor has a reason there, and 2 when it cannot run.

Why not mutmut or cosmic-ray (both well kept, on PyPI; their docs were read for this):

- Their runners do not fit a submission-based grader. mutmut 3 writes all mutants into
  one copy of the code, behind "trampolines" that pick the live mutant from an environment
  variable (MUTANT_UNDER_TEST), and runs pytest in forked children of one process;
  cosmic-ray writes each mutant over the module file in place and runs a test command per
  mutant, with a session database for resuming. Here a mutant must be a submission: a
  folder of plain modules, run in a sandboxed worker with a scrubbed environment (no
  trampoline switch reaches it), and "killed" means "loses points in the grade" (a failed
  check, a timeout, a crashed worker), which only the grader decides. Editing solutions/
  in place would also race with everyone else's work on the kit, and a fresh test command
  per mutant pays the grader's start-up for each one, where batch's warm grading
  processes do not.
- Their operators are generic. Both mutate everything in a file (solution regions mean
  nothing to them), swap strings, names, keywords and, for cosmic-ray, each binary
  operator for every other; neither knows reductions, axes, dropped copies or swapped
  arguments, the mistakes this course's learners make.

So the generator is ours and small (about 260 lines of code on the `ast` module, one subtle
replacement per site, as mutmut does: `<` -> `<=`, n -> n + 1), and the runner is `batch`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.checking.run import KIT
from grader.instructor import batch
from grader.instructor.mutants import OPERATORS, Mutant, generate
from grader.problems import ToolProblem
from grader.reports.results import load_grade, write_atomically

EQUIVALENTS = KIT / "tests" / "equivalent_mutants.toml"
REFERENCE = "0-reference"               # graded first (batch goes in name order)
REFERENCE_GROUP = "_reference"          # its folder of submissions: graded whole
FINGERPRINTED = ("solutions", "tests/public", "tests/hidden", "grader")
SHOWN_CHECKS = 3


class AuditProblem(ToolProblem):
    """The audit cannot run or cannot be trusted; the message says what to do."""


@dataclass
class Verdict:
    """What the suites made of one mutant."""

    mutant: Mutant
    status: str                          # "killed", "equivalent", "survived", "not graded"
    failed: list[str] = field(default_factory=list)    # names of the checks it failed
    reason: str = ""                     # why it is equivalent (from the reviewed file)


@dataclass
class Audit:
    """The verdicts of one audit, and what the reviewed file says that no longer fits."""

    verdicts: list[Verdict]
    stale: list[str]                     # reviewed keys that match no generated mutant
    killed_but_listed: list[str]         # reviewed as equivalent, yet killed

    def count(self, status: str) -> int:
        return sum(v.status == status for v in self.verdicts)

    @property
    def score(self) -> float:
        """Killed mutants over non-equivalent ones (1.0 when there are none)."""
        relevant = len(self.verdicts) - self.count("equivalent")
        return self.count("killed") / relevant if relevant else 1.0

    @property
    def passed(self) -> bool:
        return not self.count("survived") and not self.count("not graded")


def load_equivalents(path: Path) -> dict[str, str]:
    """Reviewed equivalent mutants: key -> one-line reason."""
    try:
        import tomllib
    except ImportError:                  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise AuditProblem("reading equivalent_mutants.toml needs Python 3.11+ "
                               "or `pip install tomli`") from None
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", {})
    except tomllib.TOMLDecodeError as problem:
        raise AuditProblem(f"{path}: {problem}") from None
    bad = [key for key, reason in table.items()
           if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip()]
    if bad:
        raise AuditProblem(f"{path}: give {bad[0]} a one-line reason")
    return {key: reason.strip() for key, reason in table.items()}


def fingerprint(kit: Path) -> str:
    """A hash of everything a verdict depends on: solutions, suites, grader."""
    digest = hashlib.sha256()
    for folder in FINGERPRINTED:
        for path in sorted((kit / folder).rglob("*.py")):
            digest.update(str(path.relative_to(kit)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare(out: Path, kit: Path, suites: str, fresh: bool) -> None:
    """Keep out's finished grades only if nothing they depend on changed."""
    stamp, current = out / "fingerprint", f"{fingerprint(kit)} {suites}"
    if fresh or not stamp.is_file() or stamp.read_text().strip() != current:
        shutil.rmtree(out / "grades", ignore_errors=True)
    shutil.rmtree(out / "submissions", ignore_errors=True)
    (out / "submissions").mkdir(parents=True)
    stamp.write_text(current + "\n")


def folder_name(mutant: Mutant) -> str:
    return mutant.key.replace("/", "-")


def dependents(solutions: Path) -> dict[str, set[str]]:
    """module -> the modules whose checks a mutant of it can change: itself and every
    module that imports it, directly or through another (read from solutions/)."""
    imports = {path.stem: set(re.findall(r"^from (\w+) import", path.read_text(), re.M))
               for path in solutions.glob("*.py")}
    found = {module: {module} for module in imports}
    changed = True
    while changed:
        changed = False
        for module, used in imports.items():
            for reach in found.values():
                if reach & used and module not in reach:
                    reach.add(module)
                    changed = True
    return found


def write_submissions(out: Path, solutions: Path, mutants: list[Mutant]) -> None:
    """One submission folder per mutant (solutions/ with one module mutated), grouped by
    the module mutated, and the reference itself."""
    modules = {path.name: path.read_text(encoding="utf-8") for path in solutions.glob("*.py")}
    places = [(out / "submissions" / REFERENCE_GROUP / REFERENCE, None)]
    places += [(out / "submissions" / m.module / folder_name(m), m) for m in mutants]
    for folder, mutated in places:
        folder.mkdir(parents=True)
        for file, source in modules.items():
            if mutated is not None and file == f"{mutated.module}.py":
                source = mutated.source
            (folder / file).write_text(source, encoding="utf-8")


def lost_checks(grades: Path, name: str) -> list[str] | None:
    """The checks a graded submission failed ([] if it kept every point of the checks it
    ran); None if ungraded."""
    path = grades / name / "grade.json"
    if not path.is_file():
        return None
    result = load_grade(path)
    failed = [check.name for check in result.checks if not check.passed]
    return failed or ([] if result.score >= result.max_score else ["(points lost)"])


def reference_marks(grades: Path) -> float:
    """The reference's full marks; AuditProblem unless it kept every point."""
    path = grades / REFERENCE_GROUP / REFERENCE / "grade.json"
    if not path.is_file():
        raise AuditProblem("the reference solutions/ could not be graded; rerun the audit")
    result = load_grade(path)
    if result.score < result.max_score:
        lost = [check.name for check in result.checks if not check.passed]
        raise AuditProblem(f"solutions/ itself loses points ({', '.join(lost[:3])}); "
                           "fix the reference or the suites before auditing")
    return result.max_score


def judge(mutants: list[Mutant], grades: Path, equivalents: dict[str, str]) -> Audit:
    """A verdict per mutant, from its grade and the reviewed equivalents."""
    reference_marks(grades)
    verdicts = []
    for mutant in mutants:
        failed = lost_checks(grades / mutant.module, folder_name(mutant))
        if failed is None:
            status = "not graded"
        elif failed:
            status = "killed"
        else:
            status = "equivalent" if mutant.key in equivalents else "survived"
        verdicts.append(Verdict(mutant, status, failed or [], equivalents.get(mutant.key, "")))
    keys = {mutant.key for mutant in mutants}
    modules = {mutant.module for mutant in mutants}
    stale = [key for key in equivalents
             if key not in keys and key.split(".", 1)[0] in modules]
    listed_killed = [v.mutant.key for v in verdicts
                     if v.status == "killed" and v.mutant.key in equivalents]
    return Audit(verdicts, stale, listed_killed)


def run_audit(out: Path, jobs: int = 1, modules: tuple[str, ...] = (), suites: str = "all",
              fresh: bool = False, kit: Path = KIT, equivalents: Path = EQUIVALENTS) -> Audit:
    """Generate, grade (resumably) and judge the mutants; writes out/audit.json."""
    solutions = kit / "solutions"
    if not solutions.is_dir():
        raise AuditProblem(f"{solutions} not found: run the audit from a full checkout of "
                           "the kit")
    reviewed = load_equivalents(equivalents)
    mutants = generate(solutions, modules)
    if not mutants:
        raise AuditProblem(f"no mutants: is {', '.join(modules)} an exercise module?")
    prepare(out, kit, suites, fresh)
    write_submissions(out, solutions, mutants)
    reach = dependents(solutions)
    # each module's mutants run only the checks they can change (its own and its
    # importers'): about a quarter of a whole grade each, with no plots
    for group in [REFERENCE_GROUP, *sorted({m.module for m in mutants})]:
        batch.run_batch(out / "submissions" / group, out / "grades" / group, jobs=jobs,
                        suites=suites,
                        modules=() if group == REFERENCE_GROUP else tuple(sorted(reach[group])))
    audit = judge(mutants, out / "grades", reviewed)
    write_atomically(out / "audit.json", json.dumps(audit_record(audit, suites), indent=1))
    return audit


def audit_record(audit: Audit, suites: str) -> dict:
    """The audit as plain data (out/audit.json)."""
    return {"suites": suites, "generated": len(audit.verdicts),
            **{status.replace(" ", "_"): audit.count(status)
               for status in ("killed", "equivalent", "survived", "not graded")},
            "score": audit.score, "stale_equivalents": audit.stale,
            "killed_but_listed_equivalent": audit.killed_but_listed,
            "mutants": [{"key": v.mutant.key, "module": v.mutant.module,
                         "function": v.mutant.function, "operator": v.mutant.operator,
                         "line": v.mutant.line, "change": v.mutant.change,
                         "status": v.status, "failed_checks": v.failed, "reason": v.reason}
                        for v in audit.verdicts]}


def summary_text(audit: Audit) -> str:
    """The score, and a row per operator."""
    killed, equivalent = audit.count("killed"), audit.count("equivalent")
    lines = [f"{len(audit.verdicts)} mutants: {killed} killed, {equivalent} equivalent "
             f"(reviewed), {audit.count('survived')} survived, "
             f"{audit.count('not graded')} not graded",
             f"mutation score: {audit.score:.1%} of non-equivalent mutants "
             f"({killed}/{len(audit.verdicts) - equivalent})", "",
             f"{'operator':<12} {'mutants':>7} {'killed':>7} {'equiv.':>7} {'survived':>8}"]
    for operator in OPERATORS:
        mine = [v.status for v in audit.verdicts if v.mutant.operator == operator]
        if mine:
            counts = Counter(mine)
            lines.append(f"{operator:<12} {len(mine):>7} {counts['killed']:>7} "
                         f"{counts['equivalent']:>7} {counts['survived']:>8}")
    return "\n".join(lines)


def survivor_text(verdict: Verdict, original: str) -> str:
    """One survivor: where, what, the diff, and what to do about it."""
    mutant = verdict.mutant
    return (f"SURVIVED {mutant.key}\n  in {mutant.function} (solutions/{mutant.module}.py:"
            f"{mutant.line}): {mutant.change}\n{mutant.diff(original)}"
            "  Add a check that a correct implementation passes and this one fails, or, if "
            "no such check exists, review it into tests/equivalent_mutants.toml:\n"
            f'  "{mutant.key}" = "<why no correct check can tell it from the reference>"\n')


def report_text(audit: Audit, kit: Path = KIT) -> str:
    """Survivors (as diffs), problems with the reviewed file, then the summary."""
    parts = []
    for verdict in audit.verdicts:
        if verdict.status == "survived":
            original = (kit / "solutions" / f"{verdict.mutant.module}.py").read_text()
            parts.append(survivor_text(verdict, original))
        elif verdict.status == "not graded":
            parts.append(f"NOT GRADED {verdict.mutant.key}: rerun the audit to retry\n")
    for key in audit.killed_but_listed:
        parts.append(f"LISTED AS EQUIVALENT BUT KILLED {key}: remove it from "
                     "tests/equivalent_mutants.toml\n")
    for key in audit.stale:
        parts.append(f"STALE {key}: no such mutant any more (its function changed?); "
                     "remove it from tests/equivalent_mutants.toml\n")
    return "\n".join([*parts, summary_text(audit)])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The audit's options (shared by `python -m grader audit` and
    `python -m grader.instructor.audit`)."""
    parser.add_argument("--out", type=Path, default=Path("audit"),
                        help="folder for the mutants, their grades and audit.json "
                             "(default: audit/); a rerun keeps finished mutants")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="mutants graded at once")
    parser.add_argument("--module", action="append", default=[], metavar="MODULE",
                        help="mutate only this exercise module (repeatable)")
    parser.add_argument("--tests", choices=("public", "hidden", "all"), default="all",
                        help="suites that grade the mutants (default: all, as a grade)")
    parser.add_argument("--fresh", action="store_true", help="regrade every mutant")
    parser.add_argument("--list", action="store_true",
                        help="only list the mutants (key and change), grading none")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the audit the arguments ask for; 0 if every mutant dies or is reviewed, else 1."""
    if args.list:
        for mutant in generate(KIT / "solutions", args.module):
            print(f"{mutant.key}  line {mutant.line}: {mutant.change}")
        return 0
    if args.jobs < 1:
        raise AuditProblem("-j must be at least 1")
    audit = run_audit(args.out, args.jobs, tuple(args.module), args.tests, args.fresh)
    text = report_text(audit)
    write_atomically(args.out / "report.txt", text + "\n")
    print(text)
    return 0 if audit.passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.instructor.audit",
                                     description=__doc__.splitlines()[0])
    add_arguments(parser)
    try:
        return run_from_args(parser.parse_args(argv))
    except (AuditProblem, batch.BatchProblem) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: rerun to grade the remaining mutants", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
