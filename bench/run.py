"""Benchmark: the cost of isolation, batch throughput, memory, and time to first feedback.

Every figure is a median over runs measured in this one run on this machine, reported as
a ratio to a baseline measured alongside it (plain pytest for isolation, -j 1 for
parallelism, nbgrader autograde when it is installed). Nothing here asserts a time.

    python bench/run.py                 # defaults: 3 runs, a class of 40
    python bench/run.py --runs 5 --class-size 200 --nbgrader
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT))

from grader.checking.misconceptions import build_submission, load_catalogue  # noqa: E402
from grader.contract import CONTRACT  # noqa: E402

LOOPING = "\n\ndef gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):\n" \
          "    while True:\n        pass\n"
CRASHING = "\n\ndef mse(y_pred, y):\n    import os\n    os._exit(0)\n"


def timed(command: list[str], cwd: Path = KIT) -> float:
    """Wall time of one command (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def median_time(command: list[str], runs: int) -> float:
    return statistics.median(timed(command) for _ in range(runs))


def isolation_cost(runs: int, scratch: Path) -> dict:
    """The same pytest command over the same suites, learner code in-process vs in the worker.

    Both are fresh processes (interpreter, imports, collection and checks): `--isolate`
    binds the `submission` fixture to the sandboxed worker, so the ratio is what isolation
    costs and nothing else. The whole `grade` command (suites, plots, every report) is
    timed against the same plain pytest.
    """
    python = sys.executable
    plain_command = [python, "-m", "pytest", "tests/public", "tests/hidden", "--submission",
                     "solutions", "-q", "-p", "no:cacheprovider"]
    plain, isolated = [], []
    for _ in range(runs):                       # interleaved, so drift hits both alike
        plain.append(timed(plain_command))
        isolated.append(timed([*plain_command, "--isolate"]))
    graded = median_time([python, "-m", "grader", "grade", "solutions", "--out",
                          str(scratch / "iso"), "--student", "bench"], runs)
    plain_s, isolated_s = statistics.median(plain), statistics.median(isolated)
    return {"plain_pytest_s": plain_s, "isolated_pytest_s": isolated_s,
            "isolation_ratio": isolated_s / plain_s, "grade_command_s": graded,
            "grade_vs_plain_ratio": graded / plain_s}


def sandbox_cost(runs: int, size: int, scratch: Path) -> dict:
    """Per-grade cost of the bubblewrap sandbox against the uid sandbox (forced with
    CALCGRADER_ISOLATION), as root: one `grade` of the reference (fresh process: the
    sandbox's start included) and the steady per-submission time of a batch at -j 1
    (the factory warm: what each further student costs)."""
    if os.geteuid() != 0:
        return {}
    class_dir = scratch / "sandbox-class"
    make_class(class_dir, size, seed=2)
    figures: dict = {}
    for mode in ("namespaces", "uid"):
        env = {**os.environ, "CALCGRADER_ISOLATION": mode}
        grades = [timed_env([sys.executable, "-m", "grader", "grade", "solutions", "--out",
                             str(scratch / f"sandbox-{mode}"), "--student", "bench"], env)
                  for _ in range(runs)]
        out = scratch / f"sandbox-batch-{mode}"
        _, stamps, _ = timed_lines([sys.executable, "-m", "grader", "batch", str(class_dir),
                                    "--out", str(out)], KIT, "] ", env=env)
        figures[mode] = {"grade_s": statistics.median(grades),
                         "batch_steady_s": steady_interval(stamps)}
    figures["grade_ratio"] = figures["namespaces"]["grade_s"] / figures["uid"]["grade_s"]
    figures["batch_ratio"] = (figures["namespaces"]["batch_steady_s"]
                              / figures["uid"]["batch_steady_s"])
    return figures


def timed_env(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=KIT, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def make_class(folder: Path, size: int, seed: int = 0) -> dict:
    """A class: 70% correct, 20% one catalogued mistake, 5% looping, 5% crashing."""
    rng = random.Random(seed)
    entries = load_catalogue(KIT / "tests" / "misconceptions", KIT / "tests" / "alternatives")
    wrong = [e for e in entries if not e.correct]
    right = [e for e in entries if e.correct]
    counts = {"correct": 0, "wrong": 0, "looping": 0, "crashing": 0}
    for index in range(size):
        kind = rng.choices(list(counts), weights=[70, 20, 5, 5])[0]
        counts[kind] += 1
        target = folder / f"student{index:03d}"
        if kind in ("correct", "wrong"):
            build_submission(KIT / "solutions", rng.choice(right if kind == "correct" else wrong),
                             target)
            continue
        build_submission(KIT / "solutions", right[0], target)
        module, extra = ("gradient_descent", LOOPING) if kind == "looping" else ("losses", CRASHING)
        with (target / f"{module}.py").open("a") as handle:
            handle.write(extra)
    return counts


def tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
                rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def timed_lines(command: list[str], cwd: Path, marker: str, watch_memory: bool = False,
                env: dict | None = None) -> tuple[float, list[float], int]:
    """Run command: (wall time, when each stderr line holding marker appeared, peak tree RSS)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=env)
    stamps: list[float] = []
    tail: list[str] = []

    def read() -> None:
        for line in process.stderr:
            tail[:] = [*tail[-4:], line]
            if marker in line:
                stamps.append(time.perf_counter() - started)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    peak = 0
    while process.poll() is None:
        if watch_memory:
            peak = max(peak, tree_rss(process.pid))
        time.sleep(0.2)
    reader.join(timeout=10)
    if process.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed: {''.join(tail)[-500:]}")
    return time.perf_counter() - started, stamps, peak


def steady_interval(stamps: list[float]) -> float:
    """Seconds per submission between the first and the last one: startup and wrap-up
    (imports, collection, the class report) excluded."""
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else float("nan")


def run_batch(class_dir: Path, out: Path, jobs: int) -> tuple[float, int, float]:
    """Wall time, peak tree memory and steady seconds per submission of one batch run."""
    shutil.rmtree(out, ignore_errors=True)
    wall, stamps, peak = timed_lines(
        [sys.executable, "-m", "grader", "batch", str(class_dir), "--out", str(out),
         "-j", str(jobs)], KIT, "] ", watch_memory=True)   # one "[i/N] student: ..." each
    return wall, peak, steady_interval(stamps)


def batch_figures(size: int, scratch: Path) -> dict:
    class_dir = scratch / "class"
    counts = make_class(class_dir, size)
    one, peak_one, _ = run_batch(class_dir, scratch / "batch-j1", 1)
    two, peak_two, _ = run_batch(class_dir, scratch / "batch-j2", 2)
    small_dir = scratch / "small-class"
    make_class(small_dir, max(size // 4, 4), seed=1)
    _, peak_small_one, _ = run_batch(small_dir, scratch / "batch-small-j1", 1)
    _, peak_small, _ = run_batch(small_dir, scratch / "batch-small", 2)
    return {"class": counts, "size": size, "j1_s": one, "j2_s": two,
            "j1_per_s": size / one, "j2_per_s": size / two, "speedup_j2": one / two,
            "parallel_efficiency_j2": one / two / 2, "peak_rss_mb_j1": peak_one / 2**20,
            "peak_rss_mb_j2": peak_two / 2**20, "peak_rss_mb_quarter_class": peak_small / 2**20,
            "peak_rss_mb_quarter_class_j1": peak_small_one / 2**20}


def loop_everywhere_time(scratch: Path) -> float:
    """Wall time of `grade` on a submission whose every function loops forever."""
    folder = scratch / "loops"
    folder.mkdir()
    for module, functions in CONTRACT.items():
        code = "".join(f"def {name}(*args, **kwargs):\n    while True:\n        pass\n\n\n"
                       for name in functions)
        (folder / f"{module}.py").write_text(code)
    return timed([sys.executable, "-m", "grader", "grade", str(folder), "--out",
                  str(scratch / "loops-out"), "--student", "loops"])


def self_check_time(runs: int, scratch: Path) -> float:
    return median_time([sys.executable, "-m", "grader", "check", "--out",
                        str(scratch / "check")], runs)


def nbgrader_figures(size: int, scratch: Path) -> dict | None:
    """`nbgrader autograde` of the equivalent notebook course, per submission.

    The course is `python -m grader nbgrader`'s: one notebook per exercise module with the
    same functions and points; each student hands in the source notebooks (correct).
    """
    try:
        import nbgrader  # noqa: F401

        from grader.instructor import nbgrader_course
    except ImportError:
        return None
    root = scratch / "nbgrader"
    source = nbgrader_course.write_nbgrader_course(KIT, root)
    assignment = source.name

    def nbgrader_run(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, check=True,
                       capture_output=True, timeout=3600)
    nbgrader_run("generate_assignment", assignment, "--force")
    for index in range(size):
        shutil.copytree(source, root / "submitted" / f"student{index:03d}" / assignment)
    # nbgrader logs this line as it starts each student
    elapsed, starts, _ = timed_lines([sys.executable, "-m", "nbgrader", "autograde", assignment,
                                      "--force"], root, "Creating/updating student with ID")
    nb_steady = steady_interval(starts)
    same = scratch / "same-class"               # the same correct submissions, graded by us
    for index in range(size):
        shutil.copytree(KIT / "solutions", same / f"student{index:03d}")
    ours_one, _, steady_one = run_batch(same, scratch / "same-j1", 1)
    ours_two, _, steady_two = run_batch(same, scratch / "same-j2", 2)
    return {"submissions": size, "autograde_s": elapsed, "per_submission_s": elapsed / size,
            "steady_per_submission_s": nb_steady,
            "notebooks_per_submission": len(list(source.glob("*.ipynb"))),
            "ours_j1_per_submission_s": ours_one / size,
            "ours_j2_per_submission_s": ours_two / size,
            "ours_j1_steady_s": steady_one, "ours_j2_steady_s": steady_two,
            "ratio_j1": elapsed / ours_one, "ratio_j2": elapsed / ours_two,
            "steady_ratio_j1": nb_steady / steady_one, "steady_ratio_j2": nb_steady / steady_two}


def audit_figures(scratch: Path, jobs: int = 2) -> dict:
    """Wall time of one whole mutation audit (`python -m grader.instructor.audit`: every mutant of
    solutions/ graded through batch at -j jobs, from scratch), with its counts."""
    out = scratch / "audit"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader.instructor.audit", "--out", str(out), "-j",
                           str(jobs)], cwd=KIT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):            # 1: survivors, timed all the same
        raise SystemExit(f"the audit failed: {done.stderr[-500:]}")
    counts = json.loads((out / "audit.json").read_text())
    return {"jobs": jobs, "wall_s": elapsed,
            **{key: counts[key] for key in ("generated", "killed", "equivalent", "survived",
                                            "score")}}


def report(figures: dict) -> str:
    iso, batch = figures["isolation"], figures["batch"]
    rows = [
        ("isolation: pytest --isolate / plain pytest, same suites",
         f"{iso['isolation_ratio']:.2f}x",
         f"{iso['isolated_pytest_s']:.2f} s vs {iso['plain_pytest_s']:.2f} s"),
        ("grade command / plain pytest of the same suites", f"{iso['grade_vs_plain_ratio']:.2f}x",
         f"{iso['grade_command_s']:.2f} s vs {iso['plain_pytest_s']:.2f} s"),
        (f"batch of {batch['size']}, -j 1", f"{batch['j1_per_s']:.2f} subs/s",
         f"{batch['j1_s']:.0f} s, peak {batch['peak_rss_mb_j1']:.0f} MB"),
        (f"batch of {batch['size']}, -j 2", f"{batch['j2_per_s']:.2f} subs/s",
         f"{batch['j2_s']:.0f} s, peak {batch['peak_rss_mb_j2']:.0f} MB"),
        ("-j 2 speed-up over -j 1", f"{batch['speedup_j2']:.2f}x",
         f"efficiency {batch['parallel_efficiency_j2']:.0%}"),
        ("peak memory, class of 1/4 vs full (-j 1)",
         f"{batch['peak_rss_mb_quarter_class_j1']:.0f} / {batch['peak_rss_mb_j1']:.0f} MB", ""),
        ("peak memory, class of 1/4 vs full (-j 2)",
         f"{batch['peak_rss_mb_quarter_class']:.0f} / {batch['peak_rss_mb_j2']:.0f} MB",
         "(sampled every 0.2 s: two processes' peaks coincide more often in a longer run)"),
        ("self-check: time to first feedback", f"{figures['self_check_s']:.2f} s", ""),
        ("grade of a submission that loops in every function",
         f"{figures['loop_everywhere_s']:.1f} s", ""),
    ]
    box = figures.get("sandbox")
    if box:
        rows.append(("sandbox: namespaces / uid, one grade (fresh process)",
                     f"{box['grade_ratio']:.2f}x",
                     f"{box['namespaces']['grade_s']:.2f} s vs {box['uid']['grade_s']:.2f} s"))
        rows.append(("sandbox: namespaces / uid, batch per submission (-j 1)",
                     f"{box['batch_ratio']:.2f}x",
                     f"{box['namespaces']['batch_steady_s']:.2f} s vs "
                     f"{box['uid']['batch_steady_s']:.2f} s"))
    nb = figures.get("nbgrader")
    if nb:
        rows.append((f"nbgrader autograde, {nb['submissions']} correct submissions, whole run",
                     f"{nb['per_submission_s']:.2f} s/sub",
                     f"ours on the same: {nb['ours_j1_per_submission_s']:.2f} s/sub at -j 1 "
                     f"({nb['ratio_j1']:.1f}x faster), {nb['ours_j2_per_submission_s']:.2f} "
                     f"at -j 2 ({nb['ratio_j2']:.1f}x)"))
        rows.append(("  the same, steady throughput (first to last submission)",
                     f"{nb['steady_per_submission_s']:.2f} s/sub",
                     f"ours: {nb['ours_j1_steady_s']:.2f} s/sub at -j 1 "
                     f"({nb['steady_ratio_j1']:.1f}x faster), {nb['ours_j2_steady_s']:.2f} "
                     f"at -j 2 ({nb['steady_ratio_j2']:.1f}x)"))
    audit = figures.get("audit")
    if audit:
        rows.append((f"mutation audit: {audit['generated']} mutants of solutions/, "
                     f"-j {audit['jobs']}", f"{audit['wall_s']:.0f} s",
                     f"{audit['killed']} killed, {audit['equivalent']} equivalent, "
                     f"{audit['survived']} survived (score {audit['score']:.1%})"))
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'result':>16}  detail", "-" * (width + 40)]
    lines += [f"{name:<{width}}  {value:>16}  {detail}" for name, value, detail in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per median")
    parser.add_argument("--class-size", type=int, default=40, help="submissions in the batch")
    parser.add_argument("--nbgrader", action="store_true", help="also time nbgrader autograde")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="calcgrader-bench-"))
    try:
        figures = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                               "platform": platform.platform(),
                               "date": time.strftime("%Y-%m-%d")},
                   "isolation": isolation_cost(args.runs, scratch),
                   "batch": batch_figures(args.class_size, scratch),
                   "self_check_s": self_check_time(args.runs, scratch),
                   "loop_everywhere_s": loop_everywhere_time(scratch),
                   "sandbox": sandbox_cost(args.runs, min(args.class_size, 20), scratch)}
        if args.nbgrader:
            figures["nbgrader"] = nbgrader_figures(min(args.class_size, 20), scratch)
        figures["audit"] = audit_figures(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = KIT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(figures, indent=1))
    print(report(figures))


if __name__ == "__main__":
    main()
