"""The sandbox's isolation, attacked under both modes: namespaces and the forced uid fallback.

Each attack is a submission (solutions/ with hostile code appended) graded for real in
this process, once with CALCGRADER_ISOLATION=namespaces and once with =uid. Each test
asserts the outcome the attack must get: no credit copied, nothing read that learner code
must not see, nothing left for the next student, bounded time, and a grade that is the
learner's, never a zero caused by the grader's own environment.

The attacks come from a white-box review (issue 11): classmates found through /proc, the
solutions run by path, PNG paths made symlinks to root-only files, /proc/kmsg or held
under a lease, hidden inputs kept and leaked into visible plots and output, the network,
files in /run/lock and SysV IPC objects left for the next student, nested folders that
broke the clean-up, and a channel frame built to exhaust the grader's memory.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from grader.checking.run import GradeOptions, grade
from grader.contract import MODULES
from grader.isolation import sandbox
from grader.isolation.sandbox import Limits
from grader.reports import formats
from grader.reports.results import save_grade

pytestmark = pytest.mark.slow      # minutes: `python -m pytest -m "not slow"` skips it

KIT = Path(__file__).resolve().parents[2]
SOLUTIONS = KIT / "solutions"
ROOT = os.geteuid() == 0
FAST = Limits(call_seconds=2.0, total_seconds=40.0, startup_seconds=20.0)
MODES = ["namespaces", "uid"] if ROOT else ["namespaces"]


def switch_isolation(mode: str | None) -> None:
    """Make this process's next grade use mode (None: the default choice)."""
    if sandbox._FACTORY:
        sandbox._FACTORY[0].close()
        sandbox._FACTORY.clear()
    if mode is None:
        os.environ.pop(sandbox.ISOLATION_VARIABLE, None)
    else:
        os.environ[sandbox.ISOLATION_VARIABLE] = mode
    sandbox.isolation.cache_clear()
    sandbox.namespaces_problem.cache_clear()


@pytest.fixture(params=MODES)
def mode(request):
    """Each test runs under namespaces and, as root, under the forced uid fallback."""
    switch_isolation(request.param)
    assert sandbox.isolation() == request.param
    yield request.param
    switch_isolation(None)


def submission_with(tmp_path: Path, name: str, code: dict[str, str], base: Path = SOLUTIONS,
                    **values: str) -> Path:
    """A copy of base with code appended to the given modules (@KEY@ replaced by values)."""
    folder = tmp_path / name
    folder.mkdir(parents=True)
    for module in MODULES:
        source = (base / f"{module}.py").read_text() if (base / f"{module}.py").exists() else ""
        extra = textwrap.dedent(code.get(module, ""))
        for key, value in values.items():
            extra = extra.replace(f"@{key}@", value)
        (folder / f"{module}.py").write_text(source + "\n" + extra)
    return folder


def grade_here(folder: Path, out: Path, suites: str = "public") -> dict:
    """Grade in this process; every output file's text, keyed by name, plus the grade."""
    out.mkdir(parents=True, exist_ok=True)
    result = grade(folder, out, GradeOptions(suites=suites, student=folder.name, limits=FAST))
    formats.write_report(result, out)
    save_grade(result, out / "grade.json")
    return {"result": result, "text": everything_written(out)}


def everything_written(out: Path) -> str:
    """All the report files' bytes as one text (what a learner or Gradescope may see)."""
    chunks = []
    for path in sorted(out.rglob("*")):
        if path.is_file() and not path.is_symlink():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


def scores(result) -> dict[str, float]:
    return {m.module: m.score for m in result.modules}


# ----------------------------------------------------------------------- what is visible

SNOOP = """
def l2_penalty(w, lam):
    import os
    seen = []
    for path in ("/", "/root", "@KIT@", "@KIT@/solutions", "@KIT@/tests/hidden", "@OUT@",
                 "/etc", "/run", "/home"):
        try:
            seen.append(path + "=" + ",".join(sorted(os.listdir(path))[:40]))
        except OSError as exc:
            seen.append(path + "!" + type(exc).__name__)
    try:
        seen.append("solution=" + open("@KIT@/solutions/losses.py").read()[:30])
    except OSError as exc:
        seen.append("solution!" + type(exc).__name__)
    try:
        others = [p for p in os.listdir("/proc") if p.isdigit()]
        cmdlines = [open("/proc/%s/cmdline" % p, "rb").read().decode(errors="replace")
                    for p in others]
        seen.append("procs=%d kit-in-cmdline=%s" % (len(others),
                    any("@KIT@" in c for c in cmdlines)))
    except OSError as exc:
        seen.append("proc!" + type(exc).__name__)
    seen.append("uid=%d" % os.getuid())
    raise RuntimeError(" | ".join(seen))
"""


def test_learner_code_sees_nothing_of_the_kit_or_the_output(mode, tmp_path):
    """Listing and reading the kit, its solutions, hidden tests and the output folder from
    learner code fails; it never runs as root; /proc shows no grader command line."""
    out = tmp_path / "out"
    folder = submission_with(tmp_path, "snoop", {"regularization": SNOOP},
                             KIT=str(KIT), OUT=str(out))
    graded = grade_here(folder, out)
    failures = [c.message for c in graded["result"].checks if "l2_penalty" in c.name]
    assert failures and all("RuntimeError" in m for m in failures), failures
    seen = failures[0]
    assert "solution=" not in seen and "def mse" not in seen, seen
    for secret in (f"{KIT}/tests/hidden=", f"{KIT}/solutions=", f"{out}="):
        assert secret not in seen, seen
    listed = re.search(r"/root=([^|]*) ", seen)
    python_parts = {Path(p).parts[2] for p in (sys.base_prefix, sys.prefix)
                    if Path(p).parts[1:2] == ("root",)}
    assert listed is None or set(listed.group(1).split(",")) <= python_parts, seen
    assert "kit-in-cmdline=True" not in seen, seen
    assert "uid=0" not in seen, seen
    assert graded["result"].isolation == mode
    if mode == "namespaces":          # its own PID namespace: PID 1 and the worker
        assert re.search(r"procs=[12] ", seen), seen
        assert "/run!" in seen and "/home!" in seen, seen


COPYCAT = """
def _steal():
    import importlib.util, os
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            words = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\\0")
        except OSError:
            continue
        for word in words:
            word = word.decode(errors="replace")
            for root in (word, os.path.dirname(word)):
                for candidate in (root, os.path.join(root, "bob"), "@CLASS@/bob",
                                  "@KIT@/solutions"):
                    path = os.path.join(candidate, "losses.py")
                    try:
                        spec = importlib.util.spec_from_file_location("stolen", path)
                        module = importlib.util.module_from_spec(spec)
                        spec.loader.exec_module(module)
                        return module
                    except Exception:
                        continue
    return None


def mse(y_pred, y):
    stolen = _steal()
    if stolen is None:
        raise NotImplementedError()
    return stolen.mse(y_pred, y)
"""


def test_a_copycat_finds_neither_classmates_nor_solutions(mode, tmp_path):
    """A stub that searches /proc for the class folder, a classmate's modules or the
    kit's solutions, and runs what it finds, gets no credit for it."""
    klass = tmp_path / "class"
    shutil.copytree(SOLUTIONS, klass / "bob")
    sandbox.protect([klass])
    folder = submission_with(tmp_path / "class", "eve", {"losses": COPYCAT},
                             base=KIT / "exercises", CLASS=str(klass), KIT=str(KIT))
    graded = grade_here(folder, tmp_path / "out")
    mse_checks = [c for c in graded["result"].checks if c.name.startswith("mse")]
    assert mse_checks and not any(c.passed for c in mse_checks), \
        [(c.name, c.message) for c in mse_checks]


# ----------------------------------------------------------------------- the learner's PNG

PNG_TRICK = """
def plot_loss_curves(curves, labels, path):
    import os
    os.symlink("@TARGET@", path)
    return path
"""


@pytest.mark.parametrize("target", ["secret", "/proc/kmsg", "/dev/zero"])
def test_a_png_path_made_a_symlink_reads_nothing(mode, tmp_path, target):
    """plot_loss_curves that leaves a symlink (to a root-only file, /proc/kmsg or
    /dev/zero) where its PNG goes: the grade ends quickly, the PNG check fails, and not a
    byte of the target reaches any output."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=s3cr3t-" + uuid.uuid4().hex)
    secret.chmod(0o600)
    aim = str(secret) if target == "secret" else target
    folder = submission_with(tmp_path, "png", {"mini_project": PNG_TRICK}, TARGET=aim)
    started = time.monotonic()
    graded = grade_here(folder, tmp_path / "out", suites="all")
    assert time.monotonic() - started < 60
    assert "s3cr3t" not in graded["text"]
    png_checks = [c for c in graded["result"].checks if "PNG" in c.name]
    assert png_checks and not any(c.passed for c in png_checks)
    assert not (tmp_path / "out" / "plots" / "learner_plot.png").exists()


LEASE = """
def plot_loss_curves(curves, labels, path):
    import fcntl, os
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure = plt.figure()
    for curve, label in zip(curves, labels):
        plt.semilogy(curve, label=label)
    plt.legend()
    figure.savefig(path)
    plt.close(figure)
    handle = os.open(path, os.O_RDWR)
    try:
        fcntl.fcntl(handle, 1024, fcntl.F_WRLCK)     # F_SETLEASE: opens now wait 45 s
    except OSError:
        pass
    _KEEP.append(handle)
    return path


_KEEP = []
"""


def test_a_lease_on_the_png_does_not_stall_the_grade(mode, tmp_path):
    """Learner code holding a write lease on its PNG cannot make the grader wait out the
    kernel's 45 s lease-break time."""
    folder = submission_with(tmp_path, "lease", {"mini_project": LEASE})
    started = time.monotonic()
    grade_here(folder, tmp_path / "out", suites="all")
    assert time.monotonic() - started < 40


# ----------------------------------------------------------------------- hidden inputs

RECORDER = """
_SEEN = []


def numerical_hessian(f, x, h=1e-4):
    import os
    _SEEN.append([float(v) for v in x])
    with open(os.path.join(os.getcwd(), "seen.txt"), "a") as keep:
        keep.write(repr(list(x)) + "\\n")
    with open("/tmp/seen.txt", "a") as keep:
        keep.write(repr(list(x)) + "\\n")
    print("HESSIAN-INPUT", list(x))
    return _solution_hessian(f, x, h)
"""
LEAKER = """
def gradient_descent(*args, **kwargs):
    import os
    kept = []
    for path in (os.path.join(os.getcwd(), "seen.txt"), "/tmp/seen.txt"):
        try:
            kept.append(open(path).read())
        except OSError:
            pass
    from gradients import _SEEN
    print("LEAK", len(_SEEN), kept)
    raise ValueError("LEAK %d %r %r" % (len(_SEEN), _SEEN, kept))
"""


def test_hidden_inputs_never_reach_visible_outputs(mode, tmp_path):
    """Learner code that records what hidden checks pass it (in memory, in its working
    folder, in /tmp) and prints or raises it when the grader draws plots: the visible
    plot notes and printed output are exactly those of a public-only grade."""
    solution = (SOLUTIONS / "gradients.py").read_text().replace(
        "def numerical_hessian(", "def _solution_hessian(")
    base = tmp_path / "base"
    shutil.copytree(SOLUTIONS, base)
    (base / "gradients.py").write_text(solution)
    folder = submission_with(tmp_path, "leaker", {"gradients": RECORDER,
                                                  "gradient_descent": LEAKER}, base=base)
    everything = grade_here(folder, tmp_path / "all", suites="all")["result"]
    public = grade_here(folder, tmp_path / "public", suites="public")["result"]
    assert everything.score > public.score        # the hidden checks did run
    leak_notes = [n for n in everything.notes if "LEAK" in n]
    assert leak_notes, everything.notes          # the plots did call the leaker
    assert leak_notes == [n for n in public.notes if "LEAK" in n]
    assert everything.output == public.output


# ----------------------------------------------------------------------- the network

NETWORK = """
def mse(y_pred, y):
    import socket
    reached = []
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        try:
            with socket.socket(socket.AF_INET, kind) as s:
                s.settimeout(1.0)
                s.connect(("127.0.0.1", @PORT@))
                s.sendall(b"EXFILTRATED")
                reached.append(kind)
        except OSError:
            pass
    if reached:
        raise RuntimeError("network reached %r" % reached)
    raise RuntimeError("no network")
"""


def test_learner_code_reaches_no_network(mode, tmp_path):
    """Learner code cannot connect to a listener on the grading machine, over TCP or UDP
    (namespaces: a network namespace of its own; uid: where the kernel allows one)."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp.bind(("127.0.0.1", 0))
    port = tcp.getsockname()[1]
    udp.bind(("127.0.0.1", port))
    tcp.listen(4)
    try:
        folder = submission_with(tmp_path, "net", {"losses": NETWORK}, PORT=str(port))
        graded = grade_here(folder, tmp_path / "out")
        messages = [c.message for c in graded["result"].checks
                    if c.name.startswith("mse") and not c.passed]
        assert messages and all("no network" in m for m in messages), messages[:2]
        udp.settimeout(0.2)
        with pytest.raises(OSError):
            udp.recvfrom(100)
    finally:
        tcp.close()
        udp.close()


# ----------------------------------------------------------------------- students

PLANTER = """
def mse(y_pred, y):
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    for folder in ("/run/lock", "/tmp", "/dev/shm", "/var/tmp"):
        try:
            with open(os.path.join(folder, "@TOKEN@"), "w") as planted:
                planted.write("SECRET-@TOKEN@")
        except OSError:
            pass
    segment = libc.shmget(@KEY@, 64 << 20, 0o1666)       # IPC_CREAT | 0666, 64 MB
    if segment >= 0:
        address = libc.shmat(segment, None, 0)
        ctypes.memset(ctypes.c_void_p(address), 65, 64 << 20)   # touch every page
        ctypes.memmove(ctypes.c_void_p(address), b"SECRET-@TOKEN@", 20)
        libc.shmdt(ctypes.c_void_p(address))
    libc.msgget(@KEY@ + 1, 0o1666)
    return float(sum((a - b) ** 2 for a, b in zip(y_pred, y)) / len(y))
"""
READER = """
def mse(y_pred, y):
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    found = []
    for folder in ("/run/lock", "/tmp", "/dev/shm", "/var/tmp"):
        try:
            found.append(open(os.path.join(folder, "@TOKEN@")).read())
        except OSError:
            pass
    segment = libc.shmget(@KEY@, 0, 0)
    if segment >= 0:
        libc.shmat.restype = ctypes.c_void_p
        found.append(ctypes.string_at(libc.shmat(segment, None, 0), 20).decode(errors="replace"))
    if libc.msgget(@KEY@ + 1, 0) >= 0:
        found.append("queue of @TOKEN@")
    raise RuntimeError("found %r" % found)
"""


def ipc_objects_with_key(key: int) -> list[str]:
    found = []
    for table in ("shm", "msg"):
        rows = Path(f"/proc/sysvipc/{table}").read_text().splitlines()[1:]
        found += [f"{table}: {row}" for row in rows if row.split() and int(row.split()[0]) in
                  (key, key + 1)]
    return found


def test_nothing_of_one_student_reaches_the_next(mode, tmp_path):
    """Student A leaves files in /run/lock, /tmp, /dev/shm and /var/tmp, a 64 MB SysV
    segment it touched and detached, and a message queue; student B, graded next by the
    same process, finds none of them, and none outlives A's grade."""
    token = f"calc-{uuid.uuid4().hex[:10]}"
    key = 0x5A000000 + int(uuid.uuid4().hex[:5], 16)
    planter = submission_with(tmp_path, "alice", {"losses": PLANTER}, TOKEN=token, KEY=str(key))
    reader = submission_with(tmp_path, "mallory", {"losses": READER}, TOKEN=token, KEY=str(key))
    try:
        first = grade_here(planter, tmp_path / "a")["result"]
        assert any(c.passed for c in first.checks if c.name.startswith("mse"))
        assert ipc_objects_with_key(key) == []
        for folder in ("/run/lock", "/tmp", "/dev/shm", "/var/tmp"):
            assert not os.path.lexists(os.path.join(folder, token)), folder
        second = grade_here(reader, tmp_path / "b")
        messages = [c.message for c in second["result"].checks
                    if c.name.startswith("mse") and not c.passed]
        assert messages and all("found []" in m for m in messages), messages[:2]
        assert "SECRET" not in second["text"]
    finally:
        for folder in ("/run/lock", "/tmp", "/dev/shm", "/var/tmp"):
            Path(folder, token).unlink(missing_ok=True)


NESTED = """
def mse(y_pred, y):
    import os
    path = os.getcwd()
    for _ in range(3000):
        path = os.path.join(path, "d")
        try:
            os.mkdir(path)
        except OSError:
            break
    return float(sum((a - b) ** 2 for a, b in zip(y_pred, y)) / len(y))
"""


def test_thousands_of_nested_folders_do_not_break_the_clean_up(mode, tmp_path, monkeypatch):
    """3,000 nested folders in the worker's folder: the grade completes with the learner's
    score, and nothing of it stays in the temporary folder."""
    private = Path(tempfile.mkdtemp(prefix="nested-", dir="/tmp"))
    private.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    try:
        folder = submission_with(tmp_path, "nested", {"losses": NESTED})
        graded = grade_here(folder, tmp_path / "out")["result"]
        assert all(c.passed for c in graded.checks if c.module == "losses")
        left = [p.name for p in private.iterdir() if not p.name.startswith("calcgrader-factory-")]
        assert left == []                  # (the factory lives on, for the next grade)
    finally:
        sandbox.remove_tree(private)


# ----------------------------------------------------------------------- the channel

FLOOD = """
def mse(y_pred, y):
    import os, struct
    header = b"[" + b"[]," * (5 << 20) + b"[]]"
    os.write(4, struct.pack(">I", len(header)) + header + struct.pack(">I", 0))
    return 0.0
"""
PEAK = """
import resource, sys
from pathlib import Path
from grader.reports import formats
from grader.checking.run import GradeOptions, grade
from grader.isolation.sandbox import Limits
result = grade(Path(sys.argv[1]), Path(sys.argv[2]),
               GradeOptions(suites="public", limits=Limits(call_seconds=5.0)))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def peak_megabytes(folder: Path, out: Path, mode: str) -> int:
    env = {**os.environ, sandbox.ISOLATION_VARIABLE: mode}
    done = subprocess.run([sys.executable, "-c", PEAK, str(folder), str(out)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=KIT)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1])


def test_a_huge_channel_frame_does_not_blow_up_the_grader(mode, tmp_path):
    """A worker that sends a 15 MB header of nested empty lists gets that call failed as
    a malformed message, and the grading process's peak memory stays near an honest
    grade's (it was 866 MB)."""
    honest = peak_megabytes(SOLUTIONS, tmp_path / "honest", mode)
    folder = submission_with(tmp_path, "flood", {"losses": FLOOD})
    hostile = peak_megabytes(folder, tmp_path / "hostile", mode)
    assert hostile < honest + 60, (honest, hostile)


# ----------------------------------------------------------------------- the grader's faults

def test_a_closed_tmpdir_is_not_the_learners_zero(tmp_path):
    """With TMPDIR inside a folder other users cannot enter, the reference still gets
    full marks (the grader chooses a temporary folder its sandbox can use)."""
    closed = tmp_path / "closed"
    (closed / "tmp").mkdir(parents=True)
    closed.chmod(0o700)
    env = {**os.environ, "TMPDIR": str(closed / "tmp")}
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(SOLUTIONS),
                           "--out", str(tmp_path / "out"), "--tests", "public"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=KIT)
    assert done.returncode == 0, done.stderr
    graded = json.loads((tmp_path / "out" / "grade.json").read_text())
    assert graded["score"] == graded["max_score"] > 0


BROKEN_SANDBOX = """
import sys
from grader.isolation import bwrap, sandbox
command = bwrap.OuterSandbox.command
bwrap.OuterSandbox.command = lambda self, argv: command(self, ["/bin/false"])
bwrap.probe = lambda outer, timeout=20.0: ""
from grader.cli import main
sys.exit(main(sys.argv[1:]))
"""


ONCE_BROKEN_SANDBOX = """
import sys
from grader.isolation import bwrap, sandbox
command, discard, broken = bwrap.OuterSandbox.command, sandbox.discard_factory, [True]
bwrap.OuterSandbox.command = lambda self, argv: command(self, ["/bin/false"] if broken[0] else argv)
bwrap.probe = lambda outer, timeout=20.0: ""
def discard_and_mend():
    broken[0] = False
    discard()
sandbox.discard_factory = discard_and_mend
from grader.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("broken", ["once", "always"])
def test_a_self_check_tries_a_fresh_sandbox_then_says_what_to_run(tmp_path, broken):
    """A learner's self-check whose sandbox did not start tries once more with a fresh
    factory (here the sandbox mends when the broken factory is discarded); if that fails
    too, its one line says what the learner can run instead."""
    env = {**os.environ, sandbox.ISOLATION_VARIABLE: "namespaces"}
    script = ONCE_BROKEN_SANDBOX if broken == "once" else BROKEN_SANDBOX
    done = subprocess.run([sys.executable, "-c", script, "check", str(SOLUTIONS),
                           "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=300, cwd=KIT)
    if broken == "once":
        assert done.returncode == 0, done.stderr
        assert "63 / 63" in done.stdout
    else:
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "not the learner's fault" in done.stderr
        assert "`python -m pytest tests/public` runs the same public checks" in done.stderr


def test_a_sandbox_that_cannot_start_writes_no_score(tmp_path):
    """When no worker can start for reasons of the grader's environment (here: a sandbox
    whose Python never starts), grade exits 2 with one line that says it is not the
    learner's fault, and writes no grade."""
    env = {**os.environ, sandbox.ISOLATION_VARIABLE: "namespaces"}
    done = subprocess.run([sys.executable, "-c", BROKEN_SANDBOX, "grade", str(SOLUTIONS),
                           "--out", str(tmp_path / "out"), "--tests", "public"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=KIT)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "not the learner's fault" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "grade.json").exists()


def test_root_without_namespaces_or_uid_refuses(monkeypatch):
    """As root, with neither namespaces nor an unprivileged uid that reaches Python,
    grading refuses with one line; --allow-root-worker accepts running as root."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "namespaces_problem", lambda: "no bwrap")
    monkeypatch.setattr(sandbox, "closed_directories", lambda: ["/root"])
    monkeypatch.setattr(sandbox.bwrap, "private_mounts_possible", lambda: False)
    monkeypatch.delenv(sandbox.ISOLATION_VARIABLE, raising=False)
    sandbox.isolation.cache_clear()
    try:
        with pytest.raises(sandbox.IsolationUnavailable, match="--allow-root-worker"):
            sandbox.isolation()
        sandbox.isolation.cache_clear()
        monkeypatch.setenv(sandbox.ALLOW_ROOT_VARIABLE, "1")
        assert sandbox.isolation() == "root"
    finally:
        sandbox.isolation.cache_clear()


def test_every_report_records_the_isolation(mode, tmp_path):
    """grade.json, results.json and the feedback say how learner code was isolated."""
    out = tmp_path / "out"
    grade_here(SOLUTIONS, out)
    assert json.loads((out / "grade.json").read_text())["isolation"] == mode
    assert json.loads((out / "results.json").read_text())["extra_data"]["isolation"] == mode
    phrase = sandbox.isolation_description(mode)
    assert phrase in (out / "feedback.md").read_text()
    assert phrase in html.unescape((out / "feedback.html").read_text())


def test_self_check_as_a_learner_shows_no_instructor_notes(tmp_path):
    """`python -m grader check` prints nothing about root, chmod or SECURITY.md."""
    done = subprocess.run([sys.executable, "-m", "grader", "check", str(SOLUTIONS), "--out",
                           str(tmp_path / "fb")], capture_output=True, text=True, timeout=300,
                          cwd=KIT)
    assert done.returncode == 0, done.stderr
    printed = (done.stdout + done.stderr).replace(str(tmp_path), "FEEDBACK")
    for word in ("chmod", "SECURITY.md", "/root", "root", "uid"):
        assert word not in printed, printed


@pytest.mark.skipif(not ROOT, reason="uid isolation exists only for a root grader")
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_uid_batch_of_students_at_once_says_they_share_tmp(tmp_path, jobs):
    """In uid isolation concurrent students share /tmp (SECURITY.md): batch -j 2 says so."""
    shutil.copytree(SOLUTIONS, tmp_path / "class" / "ada")
    env = {**os.environ, sandbox.ISOLATION_VARIABLE: "uid"}
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(tmp_path / "class"),
                           "--out", str(tmp_path / "out"), "-j", str(jobs), "--tests", "public"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=KIT)
    assert done.returncode == 0, done.stderr
    assert ("share /tmp" in done.stderr) == (jobs > 1), done.stderr


def test_a_rerun_sweeps_what_a_killed_grade_left(tmp_path):
    """A grade killed by SIGKILL leaves its staging, worker and factory folders; the next
    grade's start removes them (their lock has no live holder), and no other."""
    private = Path(tempfile.mkdtemp(prefix="sweep-", dir="/tmp"))
    private.chmod(0o755)
    env = {**os.environ, "TMPDIR": str(private)}
    try:
        slow = submission_with(tmp_path, "slow", {"losses": """
def mse(y_pred, y):
    import time
    time.sleep(60)
"""})
        command = [sys.executable, "-m", "grader", "grade", str(slow), "--out",
                   str(tmp_path / "killed"), "--tests", "public"]
        killed = subprocess.Popen(command, env=env, cwd=KIT, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(private.glob("calcgrader-*"))) < 3:
            time.sleep(0.2)
        left = {p.name for p in private.glob("calcgrader-*")}
        assert len(left) >= 3, left                     # intake, factory and worker folders
        os.killpg(killed.pid, 9)
        killed.wait()
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(SOLUTIONS),
                               "--out", str(tmp_path / "next"), "--tests", "public"],
                              env=env, cwd=KIT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert left.isdisjoint(p.name for p in private.glob("calcgrader-*"))
    finally:
        sandbox.remove_tree(private)


def test_the_factory_goes_into_a_cgroup_with_memory_and_pids_limits(tmp_path):
    """Where cgroup v2 offers the memory and pids controllers, the factory gets a cgroup
    of its own with both limits (checked on a cgroup tree laid out as the kernel does);
    where it does not, nothing is written and the rlimits alone apply."""
    own = next(line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines()
               if line.startswith("0::"))
    parent = tmp_path / own.lstrip("/")
    parent.mkdir(parents=True, exist_ok=True)
    (parent / "cgroup.controllers").write_text("cpu io memory pids\n")
    (parent / "cgroup.subtree_control").write_text("")
    group = sandbox.confine_in_cgroup(4242, 3 << 30, root=tmp_path)
    assert group is not None and group.parent == parent
    assert (group / "memory.max").read_text() == str(3 << 30)
    assert (group / "pids.max").read_text() == str(sandbox.FACTORY_PIDS)
    assert (group / "cgroup.procs").read_text() == "4242"
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    (parent / "cgroup.controllers").write_text("cpu io\n")
    assert sandbox.confine_in_cgroup(4243, 1 << 30, root=tmp_path) is None


# ----------------------------------------------------------------------- the white-box review

STOP_THE_KILLER = """
def _stop_the_killer():
    import ctypes, os, time
    print("MARKER", os.environ.get("CALCGRADER_WORKER"), flush=True)
    until = time.time() + 45               # bounded, so a failing test leaves nothing for long
    mine = {os.getpid()}
    go_read, go_write = os.pipe()
    for n in range(6):
        pid = os.fork()
        if pid == 0:
            os.close(go_write)
            mine = {int(p) for p in os.read(go_read, 256).split()}
            os.setsid()
            libc = ctypes.CDLL(None, use_errno=True)
            try:
                fd = os.open("/proc/sys/kernel/ns_last_pid", os.O_RDONLY)
            except OSError:
                os._exit(0)
            while time.time() < until:
                try:
                    target = int(os.pread(fd, 16, 0)) + n % 3
                except (OSError, ValueError):
                    break
                if target not in mine and libc.kill(target, 19) == 0:    # SIGSTOP
                    while time.time() < until:
                        time.sleep(1)
            os._exit(0)
        mine.add(pid)
    for _ in range(6):
        os.write(go_write, " ".join(map(str, mine)).encode().ljust(256))
    time.sleep(0.3)
    os._exit(1)                             # a crash: the grader has the worker killed


def mse(y_pred, y):
    _stop_the_killer()


def mse_gradient(X, w, y):
    _stop_the_killer()
"""


def live_processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "environ").read_bytes():
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state not in "ZX":
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_stopping_the_factorys_killer_neither_stalls_the_grade_nor_lets_anything_survive(
        mode, tmp_path):
    """Learner processes that leave the worker's session and SIGSTOP every new pid (the
    helper that used to take the learner's uid to kill it among them): the grade ends
    within its budget and none of them outlives it. (uid isolation used to wait forever
    for a stopped killer; its processes outlived the grade.)"""
    folder = submission_with(tmp_path, "stopper", {"losses": STOP_THE_KILLER})
    started = time.monotonic()
    graded = grade_here(folder, tmp_path / "out")["result"]
    assert time.monotonic() - started < 60
    markers = set(re.findall(r"^MARKER (\S+)$", graded.output, re.M)) - {"None"}
    assert markers, graded.output[:300]
    left = [pid for marker in markers for pid in live_processes_with(f"={marker}")]
    for pid in left:
        os.kill(pid, 9)
    assert left == []


PLANT_KEY = """
def _plant(secret):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    data = secret.encode()
    libc.syscall(ctypes.c_long(248), b"user", b"calcgrader-leak-@TOKEN@", data,
                 ctypes.c_size_t(len(data)), ctypes.c_long(-4))   # add_key, user keyring
    class Attr(ctypes.Structure):
        _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long),
                    ("msgsize", ctypes.c_long), ("curmsgs", ctypes.c_long),
                    ("pad", ctypes.c_long * 4)]
    attr = Attr(0, 4, 256, 0)
    queue = libc.mq_open(b"/leak-@TOKEN@", 0o102, 0o600, ctypes.byref(attr))
    if queue >= 0:
        libc.mq_send(queue, data, ctypes.c_size_t(len(data)), 0)
        libc.mq_close(queue)


_real_mse = mse


def mse(y_pred, y):
    _plant("SECRET-@TOKEN@ %r" % (list(y_pred)[:3],))
    return _real_mse(y_pred, y)
"""
HARVEST_KEY = """
def mse(y_pred, y):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    found = []
    key = libc.syscall(ctypes.c_long(250), ctypes.c_long(10), ctypes.c_long(-4), b"user",
                       b"calcgrader-leak-@TOKEN@", ctypes.c_long(0))    # KEYCTL_SEARCH
    if key >= 0:
        found.append("key")
    if libc.mq_open(b"/leak-@TOKEN@", 0o4000) >= 0:
        found.append("queue")
    raise RuntimeError("found %r" % found)
"""


def test_keyrings_and_posix_queues_do_not_carry_from_one_student_to_the_next(mode, tmp_path):
    """Student A stores what its mse was passed (hidden inputs included) in its user
    keyring and a POSIX message queue; student B, graded next by the same process, finds
    neither."""
    token = uuid.uuid4().hex[:10]
    planter = submission_with(tmp_path, "alice", {"losses": PLANT_KEY}, TOKEN=token)
    reader = submission_with(tmp_path, "bob", {"losses": HARVEST_KEY}, TOKEN=token)
    grade_here(planter, tmp_path / "a", suites="all")
    second = grade_here(reader, tmp_path / "b")["result"]
    messages = [c.message for c in second.checks if c.name.startswith("mse") and not c.passed]
    assert messages and all("found []" in m for m in messages), messages[:2]


TELL_INPUTS = """
def mse(y_pred, y):
    import numpy as np
    raise ValueError("inputs were %s" % (list(np.round(np.ravel(y_pred), 6)),))
"""


# The same inputs in the name of a function in the traceback of a NotImplementedError (a
# stub's message names the function that raised it): found by a white-box attacker
NAME_INPUTS = """
def mse(y_pred, y):
    import numpy as np
    def stub():
        raise NotImplementedError
    text = "inputs were %s" % (list(np.round(np.ravel(y_pred), 6)),)
    stub.__code__ = stub.__code__.replace(co_name=text[:300])
    stub()
"""


@pytest.mark.parametrize("teller", [TELL_INPUTS, NAME_INPUTS], ids=["raised", "stub-name"])
def test_learner_text_on_hidden_inputs_stays_out_of_the_feedback(mode, tmp_path, teller):
    """An exception whose message, or whose traceback's function names, carry the hidden
    check's inputs: feedback.md, .html, grade.json (all of it: a white-box attacker found
    them in its `detail`) and results.json's visible parts show the grader's words for
    hidden checks; the message itself waits in results.json's after-published tests."""
    out = tmp_path / "out"
    folder = submission_with(tmp_path, "teller", {"losses": teller})
    grade_here(folder, out, suites="all")
    results = json.loads((out / "results.json").read_text())
    hidden = [t for t in results["tests"] if t["visibility"] == "after_published"
              and t["name"].startswith("mse")]
    leaked = {m for t in hidden for m in re.findall(r"inputs were \[[^\]]*\]", t["output"])}
    assert leaked, "the hidden checks' own messages are kept for after publication"
    visible = [(out / "feedback.md").read_text(), (out / "feedback.html").read_text(),
               results["output"], json.dumps([t for t in results["tests"]
                                              if t["visibility"] == "visible"]),
               (out / "grade.json").read_text()]
    for text in leaked:
        assert not any(text in page for page in visible), text


@pytest.mark.skipif(not ROOT, reason="uid isolation exists only for a root grader")
def test_the_factory_never_takes_a_uid_that_still_has_processes(monkeypatch, tmp_path):
    """kill_uid stops and kills a uid's processes as root; the helper that clears the
    uid's keyrings takes the uid only once none of its processes is left (a helper that
    took it earlier could be stopped by them, and waited for forever)."""
    from grader.isolation import factory
    uid = 299_000 + os.getpid() % 500
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.setsid()
                if os.fork() == 0:          # a grandchild in a session of its own
                    time.sleep(60)
                time.sleep(60)
            finally:
                os._exit(0)
        children.append(pid)
    deadline = time.monotonic() + 10
    while len(factory.processes_with_uid(uid)) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    log = tmp_path / "taken.jsonl"            # the helper is a forked child: it writes here
    real_setuid = os.setuid

    def watching_setuid(value):
        with open(log, "a") as handle:
            handle.write(json.dumps(factory.processes_with_uid(value)) + "\n")
        real_setuid(value)
    monkeypatch.setattr(factory.os, "setuid", watching_setuid)
    factory.kill_uid(uid)
    monkeypatch.undo()
    for pid in children:
        os.waitpid(pid, 0)
    assert factory.processes_with_uid(uid) == []
    taken = [json.loads(line) for line in log.read_text().splitlines()]
    assert taken and all(found == [] for found in taken), taken


DEV_PLANTER = """
try:
    with open("/dev/planted_@TOKEN@", "w") as _handle:
        _handle.write("from a classmate")
except OSError:
    pass
"""
DEV_READER = """
def mse(y_pred, y):
    import os
    raise ValueError("found %s" % os.path.exists("/dev/planted_@TOKEN@"))
"""


def test_no_worker_leaves_a_file_in_dev_for_the_next(mode, tmp_path):
    """/dev in the sandbox is one per factory, not one per worker: student A's module
    writes a file there when it loads; student B, graded next by the same process, finds
    nothing (and so no memory is held in /dev between students). Found by a white-box
    attacker."""
    token = uuid.uuid4().hex[:10]
    planter = submission_with(tmp_path, "alice", {"losses": DEV_PLANTER}, TOKEN=token)
    reader = submission_with(tmp_path, "bob", {"losses": DEV_READER}, TOKEN=token)
    grade_here(planter, tmp_path / "a")
    second = grade_here(reader, tmp_path / "b")["result"]
    messages = [c.message for c in second.checks if c.name.startswith("mse") and not c.passed]
    assert messages and all("found False" in m for m in messages), messages[:2]
