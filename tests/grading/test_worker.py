"""The isolated worker: same answers as in-process, and every failure contained to its call."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grader.isolation import errors
from grader.isolation.proxy import IsolatedSubmission
from grader.isolation.sandbox import Limits
from grader.isolation.submission import LocalSubmission

FAST = Limits(call_seconds=2.0, total_seconds=30.0)


@pytest.fixture
def isolated():
    opened = []

    def open_(folder, limits=FAST):
        submission = IsolatedSubmission(folder, limits)
        opened.append(submission)
        return submission
    yield open_
    for submission in opened:
        submission.close()


def quadratic_calls(submission):
    """A few calls that exercise arrays, dicts, tuples, lists and callbacks."""
    rng = np.random.default_rng(3)
    X, y, w = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3)
    params = {"W1": rng.normal(size=(3, 2)), "b1": np.zeros(2), "w2": np.ones(2), "b2": 0.1}
    return [
        submission.derivatives.central_difference(np.sin, np.linspace(0, 1, 4)),
        submission.gradients.numerical_hessian(lambda v: float(v[0] ** 2 * v[1]), np.ones(2)),
        submission.chain_rule.two_layer_net(params, X, y),
        submission.losses.logistic_gradient(X, w, (y > 0).astype(float)),
        submission.gradient_descent.gradient_descent(lambda v: float(v @ v), lambda v: 2 * v,
                                                     np.ones(3), 0.1),
        submission.gradient_check.check_gradient(lambda v: float(v @ v), lambda v: 2 * v, w),
    ]


def assert_same(a, b):
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert type(a) is type(b) and a == b


def test_worker_returns_exactly_what_in_process_returns(isolated, make_submission):
    folder = make_submission()
    assert_same(quadratic_calls(isolated(folder)), quadratic_calls(LocalSubmission(folder)))


def test_callbacks_run_in_the_grader_and_are_counted(isolated, make_submission):
    submission = isolated(make_submission())
    seen = []

    def loss(w):
        seen.append(w.copy())
        return float(w @ w)
    submission.gradients.numerical_gradient(loss, np.zeros(3))
    assert submission.last_call.callbacks == 6 == len(seen)


def test_mutation_and_warnings_come_back_with_the_result(isolated, make_submission):
    folder = make_submission(append={
        "gradient_descent": """
            def gd_step(w, grad, lr):
                w -= lr * grad
                return w
        """,
        "chain_rule": """
            def sigmoid(z):
                return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
        """})
    submission = isolated(folder)
    w = np.ones(3)
    submission.gradient_descent.gd_step(w, np.ones(3), 0.5)
    assert submission.last_call.mutated == ["w"]
    assert np.all(w == 1.0), "the grader's own array is never handed to learner code"
    submission.chain_rule.sigmoid(np.array([-1e4, 0.0]))
    assert any("overflow" in text for text in submission.last_call.warnings)


def test_an_endless_loop_fails_its_call_and_the_next_call_gets_a_fresh_worker(
        isolated, make_submission):
    folder = make_submission(append={"losses": """
        def mse(y_pred, y):
            while True:
                pass
    """})
    submission = isolated(folder, Limits(call_seconds=1.0, total_seconds=30.0))
    started = time.monotonic()
    with pytest.raises(errors.CallTimedOut, match="did not finish within 1 s"):
        submission.losses.mse(np.ones(2), np.zeros(2))
    assert time.monotonic() - started < 5
    assert submission.losses.mse_gradient(np.eye(2), np.ones(2), np.zeros(2)).shape == (2,)
    with pytest.raises(errors.CallTimedOut, match="not run again"):
        submission.losses.mse(np.ones(2), np.zeros(2))
    assert submission.workers_started == 2


@pytest.mark.parametrize("body, expected", [
    ("import os; os._exit(0)", "exited during the call"),
    ("import sys; sys.exit(0)", "raised SystemExit"),
    ("raise KeyboardInterrupt", "raised KeyboardInterrupt"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed"),
])
def test_exits_and_kills_fail_only_that_call(isolated, make_submission, body, expected):
    folder = make_submission(append={"regularization": f"""
        def l2_penalty(w, lam):
            {body}
    """})
    submission = isolated(folder)
    with pytest.raises(errors.SubmissionProblem, match=expected):
        submission.regularization.l2_penalty(np.ones(2), 1.0)
    assert submission.regularization.l1_penalty(np.ones(2), 1.0) == 2.0


def test_import_error_names_the_learners_file_and_line(isolated, make_submission):
    folder = make_submission(append={"losses": "def broken(:\n    pass\n"})
    submission = isolated(folder)
    with pytest.raises(errors.ModuleImportFailed, match=r"losses\.py, line \d+"):
        submission.losses.mse(np.ones(2), np.ones(2))
    assert submission.derivatives.forward_difference(lambda x: 2 * x, 1.0) == pytest.approx(2.0)


def test_missing_module_and_function_say_which(isolated, make_submission):
    submission = isolated(make_submission(remove=("minima",)))
    with pytest.raises(errors.MissingModule, match="minima.py is missing"):
        submission.minima.classify_critical_point(np.eye(2))
    with pytest.raises(errors.MissingFunction, match="defines no function nope"):
        submission.losses.nope()


@pytest.mark.parametrize("returned", ["object()", "LiesAboutEquality()", "[np.array(['a'])]"])
def test_values_that_are_not_plain_data_are_refused(isolated, make_submission, returned):
    folder = make_submission(append={"regularization": f"""
        class LiesAboutEquality(float):
            def __eq__(self, other):
                return True

        def l1_penalty(w, lam):
            return {returned}
    """})
    submission = isolated(folder)
    with pytest.raises(errors.BadReturnValue, match="returned an"):
        submission.regularization.l1_penalty(np.ones(2), 1.0)


def test_a_function_given_to_the_learner_that_raises_fails_the_call(isolated, make_submission):
    submission = isolated(make_submission())

    def picky(x):
        raise ValueError("only scalars please")
    with pytest.raises(errors.LearnerRaised, match="only scalars please"):
        submission.derivatives.central_difference(picky, 1.0)


def test_the_whole_submission_has_a_time_budget(isolated, make_submission):
    folder = make_submission(append={"derivatives": """
        def forward_difference(f, x, h=1e-5):
            import time
            time.sleep(0.6)
            return 0.0
    """})
    submission = isolated(folder, Limits(call_seconds=2.0, total_seconds=1.0))
    submission.derivatives.forward_difference(np.sin, 1.0)
    with pytest.raises(errors.CallTimedOut, match="whole time budget of 1 s"):
        submission.derivatives.forward_difference(np.sin, 1.0)
    with pytest.raises(errors.CallTimedOut, match="not run: .*time budget"):
        submission.derivatives.central_difference(np.sin, 1.0)


def test_pytest_isolate_runs_the_suites_with_learner_code_in_the_worker(make_submission):
    """`pytest --isolate` (the benchmark's isolated run) really puts learner code in the worker."""
    folder = make_submission(append={"derivatives": """
        import os as _os
        _right = forward_difference

        def forward_difference(f, x, h=1e-5):   # right only inside the grader's worker
            value = _right(f, x, h)
            return value if _os.environ.get("CALCGRADER_WORKER") else value + 1.0
    """})
    kit = Path(__file__).resolve().parents[2]
    suite = kit / "tests" / "public" / "test_derivatives.py"
    command = [sys.executable, "-m", "pytest", str(suite),
               "--submission", str(folder), "-q", "-p", "no:cacheprovider", "-k", "forward"]
    in_process = subprocess.run(command, cwd=kit, capture_output=True, text=True, timeout=300)
    isolated = subprocess.run([*command, "--isolate"], cwd=kit, capture_output=True, text=True,
                              timeout=300)
    assert in_process.returncode == 1 and " failed" in in_process.stdout
    assert isolated.returncode == 0 and " passed" in isolated.stdout, isolated.stdout[-500:]


def test_a_finished_function_that_calls_a_stub_names_the_stub(isolated, make_submission,
                                                              tmp_path):
    """ridge_gradient done, the mse_gradient it calls still a stub: the message names
    mse_gradient (not "ridge_gradient is not implemented"), in the worker and in-process."""
    folder = make_submission(append={"losses": """
        def mse_gradient(X, w, y):
            raise NotImplementedError()
    """})
    X, w, y = np.eye(2), np.ones(2), np.zeros(2)
    messages = []
    for submission in (isolated(folder), LocalSubmission(folder)):
        with pytest.raises(errors.NotImplementedYet) as stub:
            submission.regularization.ridge_gradient(X, w, y, 0.5)
        messages.append(str(stub.value))
    assert all("calls mse_gradient, which is not implemented yet" in m for m in messages), \
        messages
