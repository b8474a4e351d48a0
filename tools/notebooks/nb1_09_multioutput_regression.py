"""Generate notebooks/09_multioutput_regression.ipynb (see nb1_common.py)."""

from common import build, code, md

cells = [
    md("nb09-title", r"""
    # 09 · Multi-output regression: squared error and $\delta_L = S_L'(z_L) \odot 2(g - y)$

    In regression with $p_L$ real outputs, the network is

    $$z_l = W_l a_{l-1} + b_l,\quad a_l = S_l(z_l) \quad (l = 1, \dots, L-1),\qquad
    g(x) = a_L = S_L(z_L),$$

    with hidden activations $S_l$ and an **element-wise output activation** $S_L$ (usually
    the identity, $S_L(z) = z$), and the loss of one example $(x, y)$,
    $y \in \mathbb R^{p_L}$, is the squared error

    $$C = \|g(x) - y\|^2 = \sum_{k=1}^{p_L} \big(g_k(x) - y_k\big)^2 .$$

    > **Note on the lecture slide.** The multi-output regression slide repeats the
    > hidden-layer definition "$S_l$ for $l = 1, \dots, L-1$" where the output activation
    > $S_L$ is meant: the formula for $\delta_L$ below involves the **output** activation
    > $S_L$ and its derivative $S_L'$, not a hidden one.
    """),
    code("nb09-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import Network
    from bplib.gradcheck import gradcheck
    from bplib.plots import regression as R
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb09-derive-md", r"""
    ## 1. $\delta_L$ for the squared error

    **The Jacobian layout.** The lecture's general formula
    $\delta_L = \frac{\partial S_L}{\partial z_L}\,\frac{\partial C}{\partial g}$ multiplies
    a $p_L \times p_L$ matrix by the column $\frac{\partial C}{\partial g}$; for that to be
    the chain rule $\frac{\partial C}{\partial z_i} = \sum_j \frac{\partial g_j}{\partial z_i}
    \frac{\partial C}{\partial g_j}$, the matrix has entries
    $\big[\frac{\partial S_L}{\partial z_L}\big]_{ij} = \frac{\partial g_j}{\partial z_i}$
    (row $i$ holds the derivatives with respect to $z_i$; the transpose of the usual
    Jacobian).

    **Element-wise $S_L$.** $g_j = S_L(z_j)$ depends on $z_j$ only, so
    $\frac{\partial g_j}{\partial z_i} = \mathbb 1\{i = j\}\, S_L'(z_i)$: the matrix is
    $\operatorname{diag}\big(S_L'(z_L)\big)$, symmetric, and multiplying by it is a
    component-wise product (notebook 02).

    **Squared error.** $\frac{\partial C}{\partial g} = 2(g - y)$.

    **Product.**

    $$\boxed{\delta_L = \operatorname{diag}\big(S_L'(z_L)\big)\, 2(g - y)
    = S_L'(z_L) \odot 2(g - y)}$$

    and for the identity output simply $\delta_L = 2(g - y)$.

    `bplib` has this closed form (`pair.delta_L`) next to the general Jacobian form
    (`bplib.losses.general_delta_L`); `R.delta_forms` computes both and a central difference
    of $C(z_L)$, for an identity, a tanh and a logistic output.
    """),
    code("nb09-derive", """
    z, y = rng.normal(size=2), rng.normal(size=2)
    for output in ("identity", "tanh", "logistic"):
        f = R.delta_forms(output, z, y)
        print(f"{output:>8}: S'(z) * 2(g - y) = {np.round(f.closed, 4)}   "
              f"Jacobian form = {np.round(f.jacobian, 4)}   "
              f"central diff. = {np.round(f.numeric, 4)}")
    """),
    code("nb09-derive-check", """
    for output in ("identity", "tanh", "logistic"):
        ok_jac = ok_fd = True
        for _ in range(5):
            z, y = rng.normal(scale=2.0, size=2), rng.normal(size=2)
            f = R.delta_forms(output, z, y)
            ok_jac &= np.abs(f.jacobian - f.closed).max() < 1e-14
            ok_fd &= np.abs(f.numeric - f.closed).max() < 1e-8
        print(f"{output:>8}: Jacobian form == closed form (< 1e-14): {ok_jac};  "
              f"central difference (h = 1e-6) agrees (< 1e-8): {ok_fd}")
    """, checked=True),
    md("nb09-gc-md", r"""
    The whole gradient of a regression network (every $W_l$, $b_l$, through Algorithm 2)
    against central differences of the training loss, in `float64`:
    """),
    code("nb09-gc", """
    X_train, Y_train, X_test, Y_test = R.regression_data()
    net = Network.init(R.WIDTHS, hidden="tanh", output="identity", loss="squared_error", seed=0)
    report = gradcheck(net, X_train[:20], Y_train[:20], h=1e-6, tol=1e-6)
    print("p =", net.p, " dim(theta) =", net.theta.shape[0])
    print("gradient check, max rel. error < 1e-6:", report.passed)
    """, checked=True),
    md("nb09-fit-md", r"""
    ## 2. Fitting a 2-output function

    `bplib.data.make_regression` samples $x \in [-1, 1]^2$ and
    $y = \big(\sin(\pi x_1)\cos(\pi x_2),\ x_1^2 - x_2/2\big) + \varepsilon$ with noise
    $\varepsilon \sim \mathcal N(0, 0.05^2 I)$: 150 training and 50 test points. The network
    is $2 \to 32 \to 32 \to 2$ with tanh hidden layers and an identity output; steepest
    descent on the mean of $C_i = \|g(x_i) - y_i\|^2$. The noise alone gives a test loss of
    about $2 \cdot 0.05^2 = 0.005$, the best any model can do; predicting the mean of the
    training targets gives the baseline below.
    """),
    code("nb09-fit", """
    run = R.train_regression(0.1)
    final = run.network(R.MAX_STEPS)
    baseline = float(np.mean(np.sum((Y_test - Y_train.mean(axis=0)) ** 2, axis=1)))
    print(f"{R.MAX_STEPS} steps, lr = 0.1")
    print("training loss decreased:", run.loss[-1] < run.loss[0])
    print("test loss < 0.05:", run.test_loss[-1] < 0.05)
    print("test loss < 10% of the predict-the-mean baseline:", run.test_loss[-1] < 0.1 * baseline)
    """, checked=True),
    code("nb09-fit-fig", """
    R.regression_fit_figure(R.MAX_STEPS, 0.1)
    """),
    md("nb09-widget-md", r"""
    ### Widget: watch the fit improve

    Move **steps** to see the network after that many updates: test points move onto the
    diagonal $g = y$ in both output panels while the loss curves fall. Pick another
    **learning rate**: each one is trained once (about a second) and cached, so the step
    slider is quick afterwards. With $\alpha = 0.01$ the fit after 3000 steps is still
    visibly worse.
    """),
    code("nb09-widget", """
    interactive_figure(
        R.regression_fit_figure,
        steps=widgets.IntSlider(value=250, min=0, max=R.MAX_STEPS, step=R.SNAPSHOT_EVERY,
                                description="steps"),
        lr=widgets.Dropdown(options=[0.01, 0.03, 0.1, 0.3], value=0.1, description="lr"),
    )
    """),
    md("nb09-summary", r"""
    ## Summary

    * For an element-wise output activation and the squared error,
      $\delta_L = \frac{\partial S_L}{\partial z_L}\frac{\partial C}{\partial g}
      = S_L'(z_L) \odot 2(g - y)$, where $\frac{\partial S_L}{\partial z_L}$ (entry
      $(i,j) = \partial g_j / \partial z_i$) is the diagonal matrix
      $\operatorname{diag}(S_L'(z_L))$; for the identity output, $\delta_L = 2(g - y)$.
    * $S_L$ here is the **output** activation (the lecture's slide writes the hidden-layer
      range $l = 1, \dots, L-1$ by mistake).
    * The rest of back-propagation is unchanged: the same recursion for
      $\delta_{l-1}$ and the same $\partial C / \partial W_l = \delta_l a_{l-1}^\top$.
    """),
]

build("09_multioutput_regression.ipynb", cells)
