"""Generate notebooks/07_saturation.ipynb (see nb1_common.py)."""

from common import build, code, md

cells = [
    md("nb07-title", r"""
    # 07 · Saturation and vanishing gradients

    The backward pass multiplies by the derivative of the activation once per layer:

    $$\delta_{l-1} = S'_{l-1}(z_{l-1}) \odot W_l^\top \delta_l, \qquad
    \frac{\partial C}{\partial W_l} = \delta_l\, a_{l-1}^\top, \qquad
    \frac{\partial C}{\partial b_l} = \delta_l .$$

    If $S'$ is small, $\delta_l$ shrinks on its way from the output layer $L$ to the first
    layer, and so do the gradients of the early weights: they hardly learn. This notebook
    compares the logistic activation with the ReLU:

    1. $S'(z)$ of both;
    2. the size of $\delta_l$ layer by layer in a deep network (widgets: depth, activation,
       weight scale), on a log scale;
    3. training curves of both on the same task.
    """),
    code("nb07-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib.activations import dlogistic
    from bplib.plots import saturation as S
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb07-deriv-md", r"""
    ## 1. $S'(z)$: logistic against ReLU

    For the logistic $S(z) = 1/(1 + e^{-z})$,

    $$S'(z) = S(z)\big(1 - S(z)\big) \le \tfrac14 ,$$

    with the maximum at $z = 0$ and $S'(z) \approx e^{-|z|}$ for large $|z|$: a unit whose
    pre-activation is far from $0$ is **saturated** and passes almost nothing back. The
    ReLU $S(z) = \max(z, 0)$ has $S'(z) = \mathbb{1}\{z > 0\}$: exactly $1$ for every
    active unit, however large $z$ is (and $0$ for inactive ones; see notebook 06 for
    $z = 0$).
    """),
    code("nb07-deriv", """
    z = np.linspace(-10, 10, 20001)
    print("logistic S'(0) =", float(dlogistic(np.array(0.0))))
    print("logistic S'(z) <= 1/4 on [-10, 10]:", bool((dlogistic(z) <= 0.25).all()))
    print("logistic S'(5) < 0.01:", float(dlogistic(np.array(5.0))) < 0.01)
    """, checked=True),
    code("nb07-deriv-fig", """
    S.derivative_figure()
    """),
    md("nb07-norms-md", r"""
    ## 2. $\|\delta_l\|$ layer by layer

    `S.delta_norms(net, X, Y)` runs the engine's feed-forward on 200 fixed spiral points,
    starts from $\delta_L = g - e_y$ (softmax and cross-entropy) and applies the recursion
    above, for all examples at once; it returns the mean of $\|\delta_l\|$ over the
    examples for every layer $l = 1, \dots, L$. (The tests check it against a hand
    computation and against `algorithm1_steps`.)

    The networks have `depth` hidden layers of width 32 and random weights
    $W_l \sim \mathcal N\!\big(0, \text{scale}^2\, g / p_{l-1}\big)$ with $g = 2$ after a
    ReLU layer (He) and $g = 1$ otherwise (LeCun), as in `Network.init`.

    With scale 1, $W_l^\top$ roughly keeps the size of $\delta_l$, so what remains per
    layer is the factor $S'$: at most $\tfrac14$ for the logistic, so $\|\delta_l\|$ falls
    by about 4 per layer; for the ReLU, half the units pass $\delta$ unchanged and He's
    factor 2 makes up for the other half.
    """),
    code("nb07-norms", """
    X, y = S.PROBE
    ratios = {}
    for act in ("logistic", "relu"):
        norms = S.delta_norms(S.deep_network(6, act), X, y)
        ratios[act] = norms[1] / norms[-1]
        print(act, " mean ||delta_l|| for l = 1..7:", "  ".join(f"{v:.1e}" for v in norms[1:]))
    """),
    code("nb07-norms-check", """
    L = 7
    factor = ratios["logistic"] ** (1 / (L - 1))
    print("logistic: ||delta_1|| / ||delta_L|| < 1e-3:", ratios["logistic"] < 1e-3)
    print("logistic: shrink factor per layer between 0.2 and 0.3 (S' <= 1/4):", 0.2 < factor < 0.3)
    print("relu:     ||delta_1|| / ||delta_L|| between 0.1 and 10:", 0.1 < ratios["relu"] < 10)
    """, checked=True),
    md("nb07-widget-md", r"""
    ### Widget: depth, activation, weight scale

    The chosen activation is drawn bold, the others thin for comparison; the legend gives
    $\|\delta_1\| / \|\delta_L\|$. Things to try:

    * more depth: the logistic line falls by a constant factor per layer — a straight line on
      the log scale, i.e. exponential decay in depth; the ReLU line stays flat;
    * weight scale $> 1$ for the ReLU: every layer now *multiplies* $\delta$ by more than 1
      and the gradients **explode** instead; scale $< 1$: they vanish for the ReLU too. The
      ReLU does not fix everything: it removes the factor $S' \le \tfrac14$, and the
      initialisation has to keep $W_l^\top$ at the right size;
    * a larger scale for the logistic: the decay is slower, because bigger weights win
      against $S' \le \tfrac14$ until the units saturate.
    """),
    code("nb07-widget", """
    interactive_figure(
        S.delta_norm_figure,
        depth=widgets.IntSlider(value=8, min=1, max=20, description="depth"),
        activation=widgets.Dropdown(options=["logistic", "relu", "tanh"], value="logistic",
                                    description="activation"),
        scale=widgets.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25,
                                  description="weight scale"),
    )
    """),
    md("nb07-train-md", r"""
    ## 3. Training both on the same task

    The same 300 spiral points (3 classes), the same architecture
    $2 \to 32^{\times 6} \to 3$, the same seed and learning rate $\alpha = 0.1$, 300 steps
    of steepest descent; only the hidden activation differs.
    """),
    code("nb07-train", """
    histories = S.train_activations(("logistic", "relu"), depth=6, steps=300, lr=0.1)
    for name, h in histories.items():
        print(f"{name:>8}: final training loss {h.loss[-1]:.3f}, accuracy {h.accuracy[-1]:.2f}")
    """),
    code("nb07-train-check", """
    print("relu: final training loss < 0.05:", histories["relu"].loss[-1] < 0.05)
    print("logistic: final training loss > 1.0 (ln 3 = 1.10 is chance level):",
          histories["logistic"].loss[-1] > 1.0)
    """, checked=True),
    code("nb07-train-fig", """
    S.training_curves_figure(histories)
    """),
    md("nb07-summary", r"""
    ## Summary

    * The logistic's derivative is at most $\tfrac14$ and nearly $0$ when saturated; each
      layer of the recursion $\delta_{l-1} = S'_{l-1}(z_{l-1}) \odot W_l^\top \delta_l$
      multiplies by it, so $\|\delta_l\|$ decays exponentially with depth (**vanishing
      gradients**), and the first layers of a deep logistic network barely train.
    * The ReLU's derivative is $1$ on active units, so with a matching initialisation
      $\|\delta_l\|$ keeps its size and the same deep network trains.
    * The weight scale matters for both: too large and the gradients explode, too small and
      they vanish, whatever the activation.
    """),
]

build("07_saturation.ipynb", cells)
