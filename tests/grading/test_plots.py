"""grader.reports.plots: the loss-curve plots are drawn from the learner's numbers, never raise.

solutions/ must match the module's own reference runs; exercises/ (stubs) must give no
plots and notes naming the functions; a wrong submission must show up as different
curves; the isolated worker must yield the same learner data as the in-process runner.
"""

from __future__ import annotations

import gc
import json
import math
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from grader.isolation.proxy import IsolatedSubmission
from grader.isolation.submission import LocalSubmission
from grader.reports import plots

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
NAMES = {"gd_learning_rates", "gd_path", "mini_project_sweep", "learner_plot"}
DATA_PLOTS = ("gd_learning_rates", "gd_path", "mini_project_sweep")
CLIMBING = '''

def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        g = grad_fn(w)
        if np.linalg.norm(g) < tol:
            break
        w = w + lr * g
        losses.append(float(loss_fn(w)))
    return w, losses
'''


PYPLOT_PLOT = '''

def plot_loss_curves(curves, labels, path):
    import matplotlib.pyplot as plt

    plt.figure()
    for curve, label in zip(curves, labels):
        plt.semilogy(curve, label=label)
    plt.legend()
    plt.savefig(path)
    return path
'''


def run(folder: Path, tmp: Path) -> tuple[list, list[str], Path]:
    """draw_plots on a LocalSubmission of folder; (plots, notes, plots_dir)."""
    scratch, out = tmp / "scratch", tmp / "plots"
    scratch.mkdir(parents=True, exist_ok=True)
    drawn, notes = plots.draw_plots(LocalSubmission(folder, scratch_dir=scratch), out)
    return drawn, notes, out


def variant(tmp: Path, module: str, code: str) -> Path:
    """A copy of solutions/ with code appended to module.py (later defs win)."""
    folder = tmp / "submission"
    shutil.copytree(SOLUTIONS, folder)
    path = folder / f"{module}.py"
    path.write_text(path.read_text() + "\n" + code)
    return folder


def load(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.json").read_text())


def by_source(data: dict, source: str) -> dict[float, dict]:
    return {s["lr"]: s for s in data["series"] if s["source"] == source}


def flat(series: dict) -> list:
    """A series' numbers in one list: its values, or its points' coordinates."""
    if "values" in series:
        return series["values"]
    return [v for point in series["points"] for v in point]


def close(a: list, b: list, tol: float = 1e-12) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and abs(x - y) <= tol)
        for x, y in zip(a, b))


def as_json(values: list[float]) -> list:
    return [v if math.isfinite(v) else None for v in values]


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    return run(SOLUTIONS, tmp_path_factory.mktemp("solved"))


# ------------------------------------------------------------------ the reference kit

def test_solutions_produce_the_four_plots_and_no_notes(solved):
    drawn, notes, out = solved
    assert {p.name for p in drawn} == NAMES and notes == []
    for plot in drawn:
        assert plot.title and plot.caption
        assert (out / f"{plot.name}.png").is_file() and (out / f"{plot.name}.json").is_file()


def test_every_png_is_a_real_readable_image(solved):
    _, _, out = solved
    for name in NAMES:
        path = out / f"{name}.png"
        assert path.read_bytes()[:8] == plots.PNG_SIGNATURE
        height, width = imread(path).shape[:2]
        assert height > 100 and width > 100


def test_json_carries_the_data_behind_each_plot(solved):
    _, _, out = solved
    for name in DATA_PLOTS:
        data = load(out, name)
        assert {"title", "caption", "x_label", "y_label", "y_scale", "series"} <= data.keys()
        assert {s["source"] for s in data["series"]} == {"learner", "reference"}
    assert load(out, "gd_learning_rates")["y_scale"] == "log"
    contour = load(out, "gd_path")["contour"]
    assert contour["center"] == list(plots.QUAD_CENTER)
    assert np.allclose(np.linalg.eigvalsh(contour["hessian"]), plots.QUAD_EIGENVALUES)
    learner = load(out, "learner_plot")
    assert learner["source"] == "learner" and learner["returned"].endswith(plots.LEARNER_PNG)


def test_solutions_learner_series_equal_the_reference(solved):
    _, _, out = solved
    for name in DATA_PLOTS:
        data = load(out, name)
        learner, reference = by_source(data, "learner"), by_source(data, "reference")
        assert learner.keys() == reference.keys() and len(learner) >= 2
        for lr in learner:
            assert close(flat(learner[lr]), flat(reference[lr])), (name, lr)


def test_learner_series_are_exactly_what_the_learner_returned(solved):
    _, _, out = solved
    direct = LocalSubmission(SOLUTIONS)
    drawn = by_source(load(out, "gd_learning_rates"), "learner")
    for lr in plots.GD_LRS:
        _, losses = direct.gradient_descent.gradient_descent(
            plots.quadratic_loss, plots.quadratic_grad, np.array(plots.QUAD_START), lr,
            max_steps=plots.GD_MAX_STEPS, tol=plots.GD_TOL)
        assert drawn[lr]["values"] == as_json(losses)
    X, y = plots.sweep_dataset()
    curves = direct.mini_project.learning_rate_sweep(X, y, list(plots.SWEEP_LRS), 60)
    drawn = by_source(load(out, "mini_project_sweep"), "learner")
    assert [drawn[lr]["values"] for lr in plots.SWEEP_LRS] == [as_json(c) for c in curves]


def test_path_records_the_learner_iterates_and_its_final_w(solved):
    _, _, out = solved
    drawn = by_source(load(out, "gd_path"), "learner")
    for lr in plots.PATH_LRS:
        w, losses = LocalSubmission(SOLUTIONS).gradient_descent.gradient_descent(
            plots.quadratic_loss, plots.quadratic_grad, np.array(plots.QUAD_START), lr,
            max_steps=plots.GD_MAX_STEPS, tol=plots.GD_TOL)
        points = drawn[lr]["points"]
        assert points[0] == list(plots.QUAD_START) and points[-1] == w.tolist()
        assert len(points) == len(losses)


def test_the_rate_above_two_over_l_diverges(solved):
    _, _, out = solved
    diverging = [lr for lr in plots.GD_LRS if lr > 2 / plots.CURVATURE]
    assert diverging
    learner = by_source(load(out, "gd_learning_rates"), "learner")
    for lr in diverging:
        values = learner[lr]["values"]
        assert "> 2/L" in learner[lr]["label"]
        assert values[-1] is None or values[-1] > 1e3 * values[0]
    assert any(math.isclose(lr, 1 / plots.CURVATURE) for lr in plots.GD_LRS)


# ------------------------------------------------------------------ stubs, wrong code

def test_stubs_give_no_plots_and_notes_naming_the_functions(tmp_path):
    drawn, notes, out = run(EXERCISES, tmp_path)
    assert drawn == [] and len(notes) == 4
    text = " ".join(notes)
    for function in ("gradient_descent.gradient_descent", "mini_project.learning_rate_sweep",
                     "mini_project.plot_loss_curves"):
        assert function in text
    assert all(note.endswith(".") and "\n" not in note for note in notes)
    assert list(out.glob("*.png")) == []


def test_a_climbing_gradient_descent_differs_from_the_reference(tmp_path):
    drawn, notes, out = run(variant(tmp_path, "gradient_descent", CLIMBING), tmp_path)
    assert {p.name for p in drawn} == NAMES and notes == []
    for name in ("gd_learning_rates", "gd_path"):   # (the mini project makes its own steps)
        data = load(out, name)
        learner, reference = by_source(data, "learner"), by_source(data, "reference")
        for lr in learner:
            assert not close(flat(learner[lr]), flat(reference[lr])), (name, lr)


def test_a_raising_learner_costs_its_plots_with_the_message(tmp_path):
    code = "def gradient_descent(*args, **kwargs):\n    return 1 / 0\n"
    drawn, notes, _ = run(variant(tmp_path, "gradient_descent", code), tmp_path)
    assert {p.name for p in drawn} == {"learner_plot", "mini_project_sweep"}
    assert notes[0].startswith("No learning-rate plot: gradient_descent.gradient_descent "
                               "raised ZeroDivisionError")


def test_one_failing_rate_costs_only_its_series(tmp_path):
    code = ("_kept = gradient_descent\n\n"
            "def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):\n"
            "    if lr == 0.21:\n        raise ValueError('too steep')\n"
            "    return _kept(loss_fn, grad_fn, w0, lr, max_steps, tol)\n")
    drawn, notes, out = run(variant(tmp_path, "gradient_descent", code), tmp_path)
    assert "gd_learning_rates" in {p.name for p in drawn}
    assert len(notes) == 1 and "lr=0.21" in notes[0] and "too steep" in notes[0]
    data = load(out, "gd_learning_rates")
    assert 0.21 not in by_source(data, "learner") and 0.21 in by_source(data, "reference")


@pytest.mark.parametrize("returned", ["'done'", "(np.zeros(2),)", "(np.zeros(2), [[1.0]])",
                                      "(np.zeros(2), [])", "(np.zeros(2), ['a'])"])
def test_malformed_results_become_notes(tmp_path, returned):
    code = f"def gradient_descent(*args, **kwargs):\n    return {returned}\n"
    drawn, notes, _ = run(variant(tmp_path, "gradient_descent", code), tmp_path)
    assert "gd_learning_rates" not in {p.name for p in drawn}
    assert notes[0].startswith("No learning-rate plot: gradient_descent.gradient_descent "
                               "returned")


def test_non_finite_losses_are_null_in_the_json(tmp_path):
    code = ("def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):\n"
            "    grad_fn(w0)\n"
            "    return w0, [float(loss_fn(w0)), 0.0, float('inf'), float('nan')]\n")
    drawn, notes, out = run(variant(tmp_path, "gradient_descent", code), tmp_path)
    assert notes == []
    for series in by_source(load(out, "gd_learning_rates"), "learner").values():
        assert series["values"][1:] == [0.0, None, None]


# ------------------------------------------------------------------ the learner's PNG

@pytest.mark.parametrize("body, problem", [
    ("return path", "wrote no file"),
    ("open(path, 'w').write('hello')\n    return path", "not a PNG"),
    ("open(path, 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + bytes(6 << 20))\n    return path",
     "larger than 5 MB"),
    ("import os\n    os.symlink(os.path.abspath(__file__), path)\n    return path",
     "not a readable file"),
])
def test_a_bad_learner_png_is_not_copied(tmp_path, body, problem):
    code = f"def plot_loss_curves(curves, labels, path):\n    {body}\n"
    drawn, notes, out = run(variant(tmp_path, "mini_project", code), tmp_path)
    assert "learner_plot" not in {p.name for p in drawn}
    assert len(notes) == 1 and notes[0].startswith("No learner plot:") and problem in notes[0]
    assert not (out / "learner_plot.png").exists()


def test_a_stale_png_does_not_pass_for_a_new_one(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / plots.LEARNER_PNG).write_bytes(plots.PNG_SIGNATURE + bytes(100))
    code = "def plot_loss_curves(curves, labels, path):\n    return path\n"
    drawn, notes, _ = run(variant(tmp_path, "mini_project", code), tmp_path)
    assert "learner_plot" not in {p.name for p in drawn} and "wrote no file" in notes[0]


def test_without_a_scratch_folder_the_learner_plot_uses_a_temporary_one(tmp_path):
    submission = LocalSubmission(SOLUTIONS)
    drawn, notes = plots.draw_plots(submission, tmp_path)
    assert {p.name for p in drawn} == NAMES and notes == []
    folder = Path(submission.last_call.paths["learner_loss_curves.png"]).parents[1]
    submission.close()
    assert not folder.exists()


# ------------------------------------------------------------------ the isolated worker

def test_isolated_worker_gives_the_same_learner_data(solved, tmp_path):
    _, _, local_out = solved
    submission = IsolatedSubmission(SOLUTIONS)
    try:
        drawn, notes = plots.draw_plots(submission, tmp_path)
    finally:
        submission.close()
    assert {p.name for p in drawn} == NAMES and notes == []
    for name in DATA_PLOTS:
        assert (by_source(load(tmp_path, name), "learner")
                == by_source(load(local_out, name), "learner")), name
    assert (tmp_path / "learner_plot.png").read_bytes()[:8] == plots.PNG_SIGNATURE


# ------------------------------------------------------------------ a long-lived grader

def live_figures() -> int:
    gc.collect()
    return sum(isinstance(thing, Figure) for thing in gc.get_objects())


def test_repeated_draws_leave_no_figures_behind(tmp_path):
    """Many submissions in one process: pyplot never holds a figure, and the figures alive
    after several more draws are the ones alive after the first (the per-thread frames)."""
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    run(SOLUTIONS, tmp_path / "first")
    alive = live_figures()
    for index in range(5):
        drawn, notes, _ = run(SOLUTIONS, tmp_path / f"again{index}")
        assert {p.name for p in drawn} == NAMES and notes == []
    assert plt.get_fignums() == open_before
    assert live_figures() == alive


def test_a_learner_pyplot_figure_is_closed_after_its_plot(tmp_path):
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    folder = variant(tmp_path, "mini_project", PYPLOT_PLOT)
    for index in range(3):
        drawn, notes, _ = run(folder, tmp_path / f"draw{index}")
        assert "learner_plot" in {p.name for p in drawn} and notes == []
    assert plt.get_fignums() == open_before


def test_plots_do_not_depend_on_what_was_drawn_before(solved, tmp_path):
    """The figures are reused from one submission to the next: a submission's PNGs are the
    same bytes after a learner with wildly different curves, and the same as those of a
    thread that has drawn nothing yet."""
    _, _, first = solved
    run(variant(tmp_path, "gradient_descent", CLIMBING), tmp_path / "climbing")
    _, _, again = run(SOLUTIONS, tmp_path / "again")
    fresh = tmp_path / "fresh"
    thread = threading.Thread(target=plots.draw_plots, args=(LocalSubmission(SOLUTIONS), fresh))
    thread.start()
    thread.join()
    for name in DATA_PLOTS:
        png = (first / f"{name}.png").read_bytes()
        assert (again / f"{name}.png").read_bytes() == png, name
        assert (fresh / f"{name}.png").read_bytes() == png, name


def test_reference_runs_follow_gradient_descent_in_closed_form():
    """On L(w) = 0.5 e^T A e, e = w - w*, gradient descent gives e_k = (I - lr A)^k e_0."""
    from grader.reports import plots

    runs = plots.reference_runs()
    start = np.array(plots.QUAD_START) - plots.QUAD_CENTER
    for lr in plots.GD_LRS:
        step = np.eye(2) - lr * plots.QUAD_HESSIAN
        errors_k = [np.linalg.matrix_power(step, k) @ start for k in range(plots.GD_MAX_STEPS + 1)]
        expected = [0.5 * e @ plots.QUAD_HESSIAN @ e for e in errors_k]
        np.testing.assert_allclose(runs["losses"][repr(lr)], expected, rtol=1e-9)
    assert len(runs["sweep"]) == len(plots.SWEEP_LRS)
    assert all(abs(curve[0] - np.log(2)) < 1e-12 for curve in runs["sweep"])
