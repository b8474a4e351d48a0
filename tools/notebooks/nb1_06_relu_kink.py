"""Generate notebooks/06_relu_kink.ipynb (see nb1_common.py)."""

from common import build, code, md

cells = [
    md("nb06-title", r"""
    # 06 · Differentiability and the ReLU kink

    The back-propagation theorem multiplies by $S'_{l-1}(z_{l-1})$ in every step of the
    backward pass,

    $$\delta_{l-1} = S'_{l-1}(z_{l-1}) \odot W_l^\top \delta_l ,$$

    so it assumes every activation is differentiable at every $z$ it meets. The ReLU
    $S(z) = \max(z, 0) = z\,\mathbb{1}\{z > 0\}$ is not differentiable at $z = 0$: its slope
    is $0$ on the left and $1$ on the right. This notebook asks

    1. which value `bplib` uses for $S'(0)$ (the convention),
    2. how often $z_l = 0$ **exactly** happens in practice (counted during training, in
       `float32` and `float64`), and when it does,
    3. what a finite-difference gradient check does near the kink, and how `bplib.gradcheck`
       flags those entries instead of failing them.
    """),
    code("nb06-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import RELU_PRIME_AT_ZERO, Network, algorithm2_batched
    from bplib.activations import drelu
    from bplib.data import make_spirals
    from bplib.gradcheck import gradcheck, relative_error
    from bplib.plots import kink as K
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb06-convention-md", r"""
    ## 1. The convention: $S'(0) = 0$

    Reading the ReLU as $S(z) = z\,\mathbb{1}\{z > 0\}$ and differentiating piece by piece
    gives $S'(z) = \mathbb{1}\{z > 0\}$, which is $0$ at $z = 0$. Any number in $[0, 1]$ would
    be a valid *subgradient* there; `bplib` picks $0$ and names it
    `RELU_PRIME_AT_ZERO` (PyTorch and JAX make the same choice). With this choice a unit
    sitting exactly on the kink passes no gradient back.
    """),
    code("nb06-convention", """
    print("RELU_PRIME_AT_ZERO =", RELU_PRIME_AT_ZERO)
    z = np.array([-1.0, -1e-300, 0.0, 1e-300, 1.0])
    for zi, d in zip(z, drelu(z)):
        print(f"S'({zi:g}) = {d:g}")
    """, checked=True),
    md("nb06-count-md", r"""
    ## 2. How often is $z_l = 0$ exactly?

    We train a $2 \to 32 \to 32 \to 3$ ReLU network on 300 spiral points by steepest descent,
    once in `float32` and once in `float64`. A callback (`K.ZeroCounter`) runs after every
    step and counts the entries of the hidden pre-activations $z_1, z_2$ (over all 300
    examples) that are exactly $0$: $300 \cdot 64 = 19\,200$ entries per step.

    A pre-activation $z_l = W_l a_{l-1} + b_l$ is a sum of products of real numbers with
    rounding; for it to come out as exactly $0.0$ the terms must cancel to the last bit. In
    `float64` that has probability of order $10^{-16}$ per entry; in `float32`, of order
    $10^{-7}$ — still rare in a run of a few million entries.
    """),
    code("nb06-count", """
    X, y = make_spirals(300, seed=0)
    runs = {}
    for dtype in ("float32", "float64"):
        net = Network.init((2, 32, 32, 3), hidden="relu", output="softmax", seed=0, dtype=dtype)
        runs[dtype] = K.zeros_during_training(net, X.astype(dtype), y, lr=0.5, steps=200)

    for name, counter in runs.items():
        seen = counter.entries * len(counter.steps)
        print(f"{name}: {seen:,} hidden pre-activations examined, "
              f"exact zeros < 1 in 100,000: {sum(counter.zeros) < seen / 1e5}")
    print("float64 exact zeros:", sum(runs["float64"].zeros))
    """, checked=True),
    md("nb06-when-md", r"""
    ### When it does happen: the inputs or the weights make it so

    Exact zeros are not produced by rounding but by **structure**:

    * **zero input rows with zero biases**: for $x = 0$ and $b_1 = 0$ (the usual
      initialisation) $z_1 = W_1 \cdot 0 + 0 = 0$ exactly, then $a_1 = 0$ and
      $z_2 = b_2 = 0$ as well. Zero-padded inputs (blank images, padding tokens) do this.
      Here we append 30 all-zero rows to the spirals: at step 0 every one of their
      $30 \cdot 64 = 1\,920$ hidden pre-activations is on the kink; the first update moves
      the biases and the zeros are gone.
    * **a layer initialised to zero** ($W_1 = 0$, $b_1 = 0$): $z_1 = 0$ for every input, so
      $a_1 = 0$ and $z_2 = b_2 = 0$ too. With $S'(0) = 0$ we get $\delta_2 = \delta_1 = 0$,
      so $\partial C/\partial W_l = \delta_l a_{l-1}^\top = 0$ and
      $\partial C/\partial b_l = \delta_l = 0$ for $l = 1, 2$, and $W_3$ sees $a_2 = 0$:
      only $b_3$ can learn, and with balanced classes its gradient (the mean of
      $g - e_y$ with $g$ uniform) is $0$ as well. The network never moves from the
      loss $\ln 3 \approx 1.10$. Here the convention decides the outcome of training (and
      this is one reason weights are initialised at random).

    A *dead* unit (one with $z < 0$ for every input) is a different thing: it also passes no
    gradient, but it is not on the kink, so no convention is involved.
    """),
    code("nb06-when", """
    X_pad = np.vstack([X, np.zeros((30, 2))])
    y_pad = np.concatenate([y, np.arange(30) % 3])
    net = Network.init((2, 32, 32, 3), seed=0)
    runs["float64, 30 zero rows"] = K.zeros_during_training(net, X_pad, y_pad, lr=0.5, steps=200)
    pad = runs["float64, 30 zero rows"]
    print("zero rows: exact zeros at steps 0, 1, 2:", pad.zeros[:3], " total after step 0:",
          sum(pad.zeros[1:]))

    net0 = Network.init((2, 32, 32, 3), seed=0)
    net0.W[1][...] = 0.0
    loss0 = net0.loss_value(X, y)
    runs["float64, W_1 = 0"] = K.zeros_during_training(net0, X, y, lr=0.5, steps=200)
    zero = runs["float64, W_1 = 0"]
    print("W_1 = 0: all", zero.entries, "hidden pre-activations exactly 0 at every step:",
          set(zero.zeros) == {zero.entries})
    print("W_1, b_1, b_2 still all zero after 200 steps:",
          not (net0.W[1].any() or net0.b[1].any() or net0.b[2].any()))
    print(f"training loss: {loss0:.2f} at step 0, {net0.loss_value(X, y):.2f} at step 200")
    """, checked=True),
    code("nb06-count-fig", """
    K.zero_count_figure(runs)
    """),
    md("nb06-gc-md", r"""
    ## 3. The gradient check at the kink

    The central difference $\big(C(\theta + h e_i) - C(\theta - h e_i)\big) / (2h)$ is a
    good estimate of $\partial C / \partial \theta_i$ when $C$ is smooth on
    $[\theta_i - h, \theta_i + h]$. If moving $\theta_i$ by $\pm h$ pushes some ReLU
    pre-activation across $0$, it measures the slope of a secant **across the kink**, which
    no derivative — and so no back-propagation result, whatever the convention — matches.

    For a ReLU unit at $z_0$ and a parameter that moves it one-for-one (its bias), the
    secant slope of $S$ is

    $$\frac{S(z_0 + h) - S(z_0 - h)}{2h} =
    \begin{cases} 1 & z_0 \ge h,\\ \dfrac{z_0 + h}{2h} & |z_0| < h,\\ 0 & z_0 \le -h,
    \end{cases}$$

    in particular $\tfrac12$ at $z_0 = 0$, where back-propagation uses $S'(0) = 0$.

    `K.kink_network(z0)` builds a $2 \to 2 \to 2$ ReLU/softmax network and one example
    $x = (1, 1/16)$ for which the first hidden unit has $z_{1,1} = z_0$ (all other numbers are
    far from the kink). With $h = 10^{-6}$ and $z_0 = 10^{-7}$:

    * $b_1[0]$ moves $z_{1,1}$ by $\pm h$ and $W_1[0,0]$ by $\pm h x_1 = \pm h$: both straddle
      the kink, and the finite difference should be $(z_0 + h)/(2h) = 0.55$ times the
      back-propagation value;
    * $W_1[0,1]$ moves it by only $\pm h x_2 = \pm h/16 < z_0$: no straddle, no flag.

    `gradcheck` re-runs the forward pass at $\theta \pm h e_i$, compares which side of $0$
    every ReLU pre-activation is on, **flags** entries whose pattern changes, and leaves
    them out of the relative error.
    """),
    code("nb06-gc-table", """
    h = 1e-6
    net, x, y = K.kink_network(1e-7)
    print("z_1 =", net.feed_forward(x)[0][1])
    report = gradcheck(net, x[None, :], np.array([y]), h=h)
    print(report)
    """),
    code("nb06-gc", """
    names = K.theta_entry_names(net.p)
    flagged = [names[i] for i in np.flatnonzero(report.flagged)]
    print("flagged entries:", flagged)
    print("unflagged entries agree (rel. error < 1e-6):", report.passed)
    for i in np.flatnonzero(report.flagged):
        ratio = report.numeric[i] / report.analytic[i]
        print(f"{names[i]}: central difference / back-prop = {ratio:.2f}  "
              f"(expected (z0 + h)/(2h) = {(1e-7 + h) / (2 * h):.2f})")
    err_all = relative_error(report.analytic, report.numeric)
    print("relative error if the flagged entries were kept > 0.1:", err_all > 0.1)
    """, checked=True),
    md("nb06-at-zero-md", r"""
    ### Exactly on the kink

    With $z_0 = 0$ every parameter feeding the unit straddles (any move crosses $0$).
    Back-propagation returns exactly $0$ for them ($S'(0) = 0$); the central difference
    returns half the right-hand derivative, which we get from back-propagation at
    $z_0 = 10^{-12}$, just right of the kink.
    """),
    code("nb06-at-zero", """
    net0, x, y = K.kink_network(0.0)
    print("z_1,1 == 0 exactly:", net0.feed_forward(x)[0][1][0] == 0.0)
    r0 = gradcheck(net0, x[None, :], np.array([y]), h=h)
    right = algorithm2_batched(K.kink_network(1e-12)[0], x[None, :], np.array([y])).theta()
    for i in np.flatnonzero(r0.flagged):
        print(f"{names[i]}: back-prop == 0: {r0.analytic[i] == 0}, "
              f"central difference / right derivative = {r0.numeric[i] / right[i]:.2f}")
    print("unflagged entries agree:", r0.passed)
    """, checked=True),
    md("nb06-widget-md", r"""
    ## 4. Widgets: offset from the kink against $h$

    Move $z_0/h$ (how far the unit is from the kink, in units of the finite-difference
    step). Left: the secant the central difference draws through $S$. Right: its slope
    against $z_0/h$ — $0$ for $z_0 \le -h$, $1$ for $z_0 \ge h$, $0.5$ right on the kink, a
    straight line in between — next to the step function back-propagation uses. Only the
    ratio $z_0/h$ matters: the picture is the same for every $h$.
    """),
    code("nb06-widget", """
    interactive_figure(
        K.kink_secant_figure,
        z0_over_h=widgets.FloatSlider(value=0.1, min=-2.0, max=2.0, step=0.05,
                                      description="z0 / h"),
        h=widgets.FloatLogSlider(value=1e-6, base=10, min=-8, max=-2, step=1, description="h"),
    )
    """),
    md("nb06-widget2-md", r"""
    The same offset, now in the gradient check of `K.kink_network`: each bar pair is one
    entry of $\theta$ (back-propagation in blue, central difference in red); orange bands
    are the flagged entries. For $|z_0/h| \ge 1$ nothing is flagged and the bars agree; for
    $1/16 \le |z_0/h| < 1$ two entries are flagged; closer still, $W_1[0,1]$ joins them.
    """),
    code("nb06-widget2", """
    interactive_figure(
        K.kink_gradcheck_figure,
        z0_over_h=widgets.FloatSlider(value=0.1, min=-1.5, max=1.5, step=0.01,
                                      description="z0 / h"),
    )
    """),
    md("nb06-summary", r"""
    ## Summary

    * `bplib` uses $S'(0) = 0$ for the ReLU (`RELU_PRIME_AT_ZERO`), i.e.
      $S'(z) = \mathbb{1}\{z > 0\}$.
    * In training on real-valued data, $z_l = 0$ exactly essentially never happens, in
      `float32` or `float64`; it happens when the inputs or weights are exactly zero by
      construction (zero rows with zero biases, a zero-initialised layer), and then the
      convention decides what the gradient is.
    * A central difference across the kink measures a secant slope between $0$ and $1$
      ($\tfrac12$ on the kink), not a derivative. `bplib.gradcheck` detects this by
      comparing ReLU sign patterns at $\theta \pm h e_i$, flags those entries and checks
      the rest.
    """),
]

build("06_relu_kink.ipynb", cells)
