"""Generate notebooks/05_algorithm2_batching.ipynb (see nb0_common.py)."""

from common import CHECK, build, code, md

cells = [
    md("nb05-title", r"""
    # 05 · Algorithm 2 and why batching matters

    Training needs the gradient of the training loss, the mean of the per-example gradients:

    $$\frac{\partial}{\partial\theta}\,\frac1n\sum_{i=1}^n C_i(\theta)
    = \frac1n\sum_{i=1}^n \frac{\partial C_i}{\partial\theta}.$$

    **Algorithm 2** computes it by running Algorithm 1 (notebook 04) on each example
    $(x_i, y_i)$ and averaging: `bplib.algorithm2_loop`, a Python loop of $n$ calls.

    **Batched form.** Stack the examples as rows, $X = [x_1^\top; \dots; x_n^\top]$ of shape
    $(n, p_0)$; row $i$ of $Z_l$, $A_l$, $\Delta_l$ is $z_{l}^\top$, $a_{l}^\top$,
    $\delta_{l}^\top$ of example $i$. Then every line of Algorithm 1 becomes one matrix
    operation for all examples at once:

    $$Z_l = A_{l-1} W_l^\top + \mathbf 1 b_l^\top,\qquad A_l = S_l(Z_l),\qquad
    \Delta_{l-1} = S_{l-1}'(Z_{l-1}) \odot \Delta_l W_l,$$
    $$\frac{\partial \ell}{\partial W_l} = \frac1n \Delta_l^\top A_{l-1},\qquad
    \frac{\partial \ell}{\partial b_l} = \frac1n \Delta_l^\top \mathbf 1 .$$

    ($\Delta_l^\top A_{l-1} = \sum_i \delta_{l,i}\, a_{l-1,i}^\top$: the sum over examples of
    line 9 is one matrix product.) This is `bplib.algorithm2_batched`. Same numbers, very
    different speed.
    """),
    code("nb05-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import algorithm2_batched, algorithm2_loop
    from bplib.backend import cupy_available
    from bplib.gradcheck import gradcheck
    from bplib.plots import batching as B
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb05-equal-md", r"""
    ## 1. The same gradient

    A ReLU network $2 \to 8 \to 8 \to 3$ with softmax output and $n = 64$ random examples.
    The two paths add the same numbers in a different order, so they agree to rounding
    ($\approx 10^{-16}$ relative); both also pass the finite-difference check of notebook 04.
    """),
    code("nb05-equal", f"""
    {CHECK}
    net, X, Y = B.make_problem((2, 8, 8, 3), n=64, seed=0)
    g_loop = algorithm2_loop(net, X, Y)
    g_batched = algorithm2_batched(net, X, Y)
    print("max |loop - batched| over all dC/dW_l, dC/db_l < 1e-12:",
          B.max_abs_difference(g_loop, g_batched) < 1e-12)
    print("same training loss:", np.isclose(g_loop.C, g_batched.C, rtol=1e-12, atol=0))
    report = gradcheck(net, X, Y, gradient=algorithm2_batched, h=1e-6, tol=1e-6)
    print("batched gradient passes the gradient check (rel. error < 1e-6):", report.passed)
    """),
    md("nb05-time-md", r"""
    ## 2. Time against $n$

    Network $2 \to 32 \to 32 \to 3$; the loop runs for $n$ up to 256, the batched form up to
    1024. Each point is the best of several runs (see `bplib.plots.batching.time_gradient`).
    On a log-log plot the loop is a line of slope 1: each example costs the same Python
    overhead, tens of microseconds for a few small matrix-vector products. The batched
    form is nearly flat at first: one call costs the same few dozen NumPy operations
    whatever $n$ is, and the arithmetic only starts to count for large $n$.
    Timings depend on the machine and its load: read the shapes, not the numbers.
    """),
    code("nb05-time", """
    curves, note = B.batching_curves(hidden=32, max_n=1024, repeat=3)
    ns, t_loop = curves["loop (CPU)"]
    t_batched = curves["batched (CPU)"][1][: len(ns)]
    print(f"n = {ns[-1]}: loop {t_loop[-1] * 1e3:.1f} ms, batched {t_batched[-1] * 1e3:.2f} ms,"
          f" about {t_loop[-1] / t_batched[-1]:.0f} times faster (this run, this machine)")
    B.timing_figure(curves, note)
    """),
    md("nb05-gpu-md", r"""
    ## 3. CPU against GPU

    With CuPy and a CUDA device, the same `algorithm2_batched` runs on the GPU
    (`net.to("cupy")`: `bplib` takes the array module from the arrays it is given). Each
    operation then launches a kernel, which costs microseconds however small the arrays, so
    the GPU loses for small $n$ and small layers and wins once the matrix products are
    large. The timer waits for the device (`bplib.backend.synchronize`) before reading the
    clock, since GPU calls return before the work is done. Without a device the notebook runs
    unchanged and says why the GPU curve is absent:
    """),
    code("nb05-gpu", """
    ok, reason = cupy_available()
    if ok:
        gnet = net.to("cupy")
        g_gpu = algorithm2_batched(gnet, gnet.xp.asarray(X), gnet.xp.asarray(Y))
        print("GPU available: the widget below adds a 'batched (GPU)' curve.")
        print("GPU gradient == CPU gradient (max |difference| < 1e-12):",
              B.max_abs_difference(g_gpu, g_batched) < 1e-12)
    else:
        print("No GPU curve on this machine:", reason)
    """),
    md("nb05-widget-md", r"""
    **Try it.** Change the hidden width ($p_1 = p_2$), the largest $n$, and the number of
    timing rounds. Wider layers make each example costlier for both paths; larger $n$ shows
    where the batched form's arithmetic starts to dominate (and, with a GPU, where the GPU
    overtakes the CPU).
    """),
    code("nb05-widget", """
    interactive_figure(
        B.batching_plot,
        hidden=widgets.Dropdown(options=[8, 32, 128], value=32, description="hidden p_l"),
        max_n=widgets.SelectionSlider(options=[256, 1024, 4096], value=1024,
                                      description="max n"),
        repeat=widgets.IntSlider(value=3, min=1, max=5, description="rounds"),
    )
    """),
    md("nb05-summary", r"""
    **Take-away.** Algorithm 2 is a mean of Algorithm 1 over the examples; written with one
    example per row it is three matrix products per layer, which is how every deep-learning
    library computes it. `bplib.train` uses the batched form (notebook 10).
    """),
]

if __name__ == "__main__":
    build("05_algorithm2_batching.ipynb", cells)
