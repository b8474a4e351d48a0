"""bplib.plots.batching: loop vs batched Algorithm 2, the timing helpers and the figure.

Timings are never compared with numbers (they depend on the machine); the tests check what
is measured, that the device is synchronised around the clock, and the figure's contents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bplib import algorithm2_batched, algorithm2_loop
from bplib.backend import to_numpy
from bplib.plots import batching as B
from bplib.plots import style

ROOT = Path(__file__).resolve().parents[1]


def test_loop_and_batched_gradients_agree(xp):
    net, X, Y = B.make_problem((3, 6, 5, 4), 32, seed=1)
    net = net.to("cupy" if xp.__name__.startswith("cupy") else "numpy")
    Xd, Yd = xp.asarray(X), xp.asarray(Y)
    g_loop, g_batch = algorithm2_loop(net, Xd, Yd), algorithm2_batched(net, Xd, Yd)
    scale = max(float(np.abs(to_numpy(w)).max()) for w in g_loop.W[1:])
    assert scale > 1e-3  # not vacuous
    assert B.max_abs_difference(g_loop, g_batch) < 1e-12 * max(1.0, scale)
    assert g_loop.C == pytest.approx(g_batch.C, rel=1e-12)


def test_max_abs_difference_sees_a_change():
    net, X, Y = B.make_problem((2, 4, 3), 8)
    g = algorithm2_batched(net, X, Y)
    h = algorithm2_batched(net, X, Y)
    h.b[1][2] += 0.5
    assert B.max_abs_difference(g, h) == pytest.approx(0.5)
    other, X2, Y2 = B.make_problem((2, 4, 4, 3), 8)
    with pytest.raises(ValueError, match="g1, g2: expected gradients of the same network"):
        B.max_abs_difference(g, algorithm2_batched(other, X2, Y2))


def test_time_gradient_synchronises_around_every_timed_call(monkeypatch):
    """The clock is read only after synchronize(xp): GPU work is asynchronous."""
    events = []
    monkeypatch.setattr(B, "synchronize", lambda xp: events.append("sync"))

    def fn(net, X, Y):
        events.append("call")

    t = B.time_gradient(fn, None, None, None, repeat=2, xp=np, min_total=0.0)
    assert t >= 0.0
    # warm-up call, then for each repeat: sync, call, sync
    assert events == ["call", "sync", "sync", "call", "sync", "sync", "call", "sync"]
    with pytest.raises(ValueError, match="repeat: expected a positive integer, got 0"):
        B.time_gradient(fn, None, None, None, repeat=0, xp=np)


def test_time_gradient_repeats_fast_calls_until_min_total(monkeypatch):
    calls = []
    monkeypatch.setattr(B, "synchronize", lambda xp: None)
    B.time_gradient(lambda *a: calls.append(1), None, None, None, repeat=1, xp=np,
                    min_total=1.0, max_runs=50)
    assert len(calls) == 1 + 50  # warm-up, then runs until max_runs (1 s is never reached)


def test_time_against_n_uses_the_first_n_rows(monkeypatch):
    seen = []
    monkeypatch.setattr(B, "synchronize", lambda xp: None)
    net, X, Y = B.make_problem((2, 3, 2), 8)
    B.time_against_n(lambda net, X, Y: seen.append(X.shape[0]), net, X, Y,
                     np.array([1, 4]), repeat=1)
    assert seen[0] == 1 and seen[-1] == 4 and set(seen) == {1, 4}
    assert seen.count(1) >= 3 and seen.count(4) >= 3  # warm-up + at least two timed calls
    with pytest.raises(ValueError, match=r"ns: expected n <= 8 \(rows of X\), got 16"):
        B.time_against_n(algorithm2_batched, net, X, Y, np.array([16]))


def test_sizes_are_powers_of_two():
    np.testing.assert_array_equal(B.sizes(16), [1, 2, 4, 8, 16])
    np.testing.assert_array_equal(B.sizes(100, 4), [4, 8, 16, 32, 64])
    with pytest.raises(ValueError, match="max_n: expected an integer >= 1, got 0"):
        B.sizes(0)


def test_batching_curves_cover_the_requested_sizes():
    curves, note = B.batching_curves(hidden=4, max_n=512, repeat=1, gpu=False)
    ns_loop, t_loop = curves["loop (CPU)"]
    ns_batch, t_batch = curves["batched (CPU)"]
    assert ns_loop[-1] == B.LOOP_MAX_N and ns_batch[-1] == 512
    assert (t_loop > 0).all() and (t_batch > 0).all()
    assert "batched (GPU)" not in curves and note == "no GPU curve: not requested"


def test_missing_gpu_is_explained(monkeypatch):
    monkeypatch.setattr(B, "cupy_available", lambda: (False, "CuPy cannot be imported (x)"))
    curves, note = B.batching_curves(hidden=2, max_n=4, repeat=1)
    assert set(curves) == {"loop (CPU)", "batched (CPU)"}
    # said in words: the import error is not shown to students (issue 11, item 14)
    assert note == B.NO_GPU_NOTE and "Error" not in note and "cannot" not in note


def test_timing_figure_is_log_log_with_a_linear_reference():
    ns = np.array([1, 2, 4, 8])
    fig = B.timing_figure({"loop (CPU)": (ns, 1e-4 * ns), "batched (CPU)": (ns, 1e-5 + 0 * ns)},
                          note="no GPU curve: test")
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["loop (CPU)", "batched (CPU)", r"reference $\propto n$"]
    ref = ax.lines[2]
    slope = np.polyfit(np.log(ref.get_xdata()), np.log(ref.get_ydata()), 1)[0]
    assert slope == pytest.approx(1.0)
    assert fig._supxlabel.get_text() == "no GPU curve: test"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_per_example_figure_divides_by_n_and_has_a_one_over_n_reference():
    ns = np.array([1, 2, 4, 8, 16])
    curves = {"loop (CPU)": (ns, 5e-5 * ns), "batched (CPU)": (ns, 2e-5 + 1e-7 * ns)}
    fig = B.per_example_figure(curves, note=B.NO_GPU_NOTE, hidden=32)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    loop, batched, ref = ax.lines
    np.testing.assert_allclose(loop.get_ydata(), 50.0)  # µs per example: flat for the loop
    np.testing.assert_allclose(batched.get_ydata(), (2e-5 + 1e-7 * ns) / ns * 1e6)
    slope = np.polyfit(np.log(ref.get_xdata()), np.log(ref.get_ydata()), 1)[0]
    assert slope == pytest.approx(-1.0)
    assert "hidden width 32" in ax.get_title()
    text = style.description(fig)
    # (2.16e-5 / 16) / (2.01e-5 / 1) = 0.067, against 1/16 = 0.062 for a pure fixed cost
    assert "changes by a factor 0.067 (a fixed cost per call shared by n examples would " \
           "give 0.062)" in text
    assert B.NO_GPU_NOTE in text


def test_the_two_figures_of_the_notebook_are_not_the_same_figure():
    """Notebook 05 showed the same timing figure twice (issue 11, item 13): the widget now
    draws the cost per example, the static figure the total time."""
    ns = np.array([1, 2, 4, 8])
    curves = {"loop (CPU)": (ns, 1e-4 * ns), "batched (CPU)": (ns, 1e-5 + 1e-7 * ns)}
    total = B.timing_figure(curves).axes[0]
    per = B.per_example_figure(curves).axes[0]
    assert total.get_ylabel() != per.get_ylabel()
    assert not np.allclose(total.lines[1].get_ydata(), per.lines[1].get_ydata())


def test_notebook_05_says_in_words_what_a_gpu_machine_shows():
    """Issue 11, item 14: no bare ModuleNotFoundError line where the GPU curve would be; the
    notebook says what a GPU machine shows and how to run it there."""
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "05_algorithm2_batching.ipynb", as_version=4)
    outputs = " ".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                       for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    for word in ("Error", "Traceback", "cannot be imported"):
        assert word not in outputs
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for how in ("python -m bplib.bench --backend cupy", "benchmarks/gpu_check.sh"):
        assert how in prose
    assert (ROOT / "benchmarks" / "gpu_check.sh").exists()


@pytest.mark.gpu
def test_gpu_curve_is_drawn_when_cupy_has_a_device():
    ok, reason = B.cupy_available()
    if not ok:
        pytest.skip(f"CuPy backend not tested here: {reason}")
    curves, note = B.batching_curves(hidden=8, max_n=64, repeat=1)
    assert "batched (GPU)" in curves and note == ""
    assert (curves["batched (GPU)"][1] > 0).all()
