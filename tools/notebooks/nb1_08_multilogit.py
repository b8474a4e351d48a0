"""Generate notebooks/08_multilogit.ipynb (see nb1_common.py)."""

from common import build, code, md

cells = [
    md("nb08-title", r"""
    # 08 · Multi-logit classification: softmax, cross-entropy and $\delta_L = g - e_y$

    For $c$ classes the output layer turns the logits $z = z_L \in \mathbb R^{c}$ into
    probabilities with the **softmax**

    $$g_k = S_L(z)_k = \frac{e^{z_k}}{\sum_{j} e^{z_j}}, \qquad k = 0, \dots, c-1,$$

    and the loss of an example with label $y$ is the **cross-entropy**
    $C = -\ln g_y$. This notebook

    1. derives $\delta_L = g - e_y$ and checks it against the general form
       $\delta_L = \frac{\partial S_L}{\partial z_L}\frac{\partial C}{\partial g}$ and
       against finite differences;
    2. shows the overflow of a naive softmax and the log-sum-exp fix;
    3. shows that the reduced model with $p_L = c - 1$ outputs gives the same
       probabilities and predictions as the full one.
    """),
    code("nb08-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import Network, logsumexp, softmax
    from bplib.activations import softmax_jacobian, softmax_naive
    from bplib.data import make_spirals, train_test_split
    from bplib.losses import reduced_softmax_jacobian, softmax_ce_loss
    from bplib.network import dim_theta
    from bplib.plots import multilogit as M
    from bplib.train import steepest_descent
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb08-derive-md", r"""
    ## 1. Deriving $\delta_L = g - e_y$

    **The Jacobian layout.** The lecture writes $\delta_L = \frac{\partial C}{\partial z_L} =
    \frac{\partial S_L}{\partial z_L}\,\frac{\partial C}{\partial g}$ with
    $\frac{\partial C}{\partial g}$ a column vector. For this product to be the chain rule
    $\frac{\partial C}{\partial z_i} = \sum_j \frac{\partial g_j}{\partial z_i}
    \frac{\partial C}{\partial g_j}$, the matrix $\frac{\partial S_L}{\partial z_L}$ must
    have

    $$\Big[\frac{\partial S_L}{\partial z_L}\Big]_{ij} = \frac{\partial g_j}{\partial z_i}
    \qquad (\text{row } i = \text{derivative with respect to } z_i),$$

    the transpose of the "usual" Jacobian $[J]_{ji} = \partial g_j / \partial z_i$. `bplib`
    uses this layout everywhere (`softmax_jacobian`, `general_delta_L`).

    **Softmax.** From $g_j = e^{z_j} / \sum_k e^{z_k}$,

    $$\frac{\partial g_j}{\partial z_i} = g_j\big(\mathbb 1\{i = j\} - g_i\big),$$

    which is symmetric in $i, j$, so for the full softmax both layouts coincide.

    **Cross-entropy.** $C = -\ln g_y$ gives $\frac{\partial C}{\partial g} =
    -\frac{1}{g_y} e_y$ (only entry $y$ is non-zero).

    **Product.**

    $$\delta_{L,i} = \sum_j g_j\big(\mathbb 1\{i=j\} - g_i\big)
    \Big(-\frac{\mathbb 1\{j = y\}}{g_y}\Big)
    = -\big(\mathbb 1\{i = y\} - g_i\big) = g_i - \mathbb 1\{i = y\},$$

    i.e. $\boxed{\delta_L = g - e_y}$: the factor $g_y$ cancels, and no separate
    $S_L'$ appears.
    """),
    code("nb08-derive", """
    z = rng.normal(scale=2.0, size=4)
    y = 2
    forms = M.delta_forms(z, y)
    print("g - e_y                 :", np.round(forms.closed, 4))
    print("(dS_L/dz_L)(dC/dg)      :", np.round(forms.jacobian, 4))
    print("central difference of C :", np.round(forms.numeric, 4))
    """),
    code("nb08-derive-check", """
    print("Jacobian form == g - e_y (max abs diff < 1e-14):",
          np.abs(forms.jacobian - forms.closed).max() < 1e-14)
    print("central difference == g - e_y (max abs diff < 1e-8, h = 1e-6):",
          np.abs(forms.numeric - forms.closed).max() < 1e-8)
    print("components of delta_L sum to 0:", abs(forms.closed.sum()) < 1e-14)
    J = softmax_jacobian(z)
    print("softmax Jacobian is symmetric:", np.allclose(J, J.T, rtol=0, atol=1e-15))
    print("rows: row i = dg/dz_i, matches central differences:",
          np.abs(J - M.jacobian_numeric("softmax", z)).max() < 1e-8)
    """, checked=True),
    code("nb08-derive-fig", """
    M.delta_forms_figure(forms, y)
    """),
    md("nb08-overflow-md", r"""
    ## 2. The overflow of a naive softmax and the log-sum-exp fix

    In `float64`, $e^{z}$ overflows to `inf` for $z > 709.78$ and underflows to $0$ for
    $z < -745$. A naive softmax of logits around $1000$ is then `inf / inf = nan`, and of
    logits around $-1000$ it is `0 / 0 = nan` — although the probabilities are perfectly
    ordinary numbers. Since the softmax does not change when the same constant is
    subtracted from every logit,

    $$g_k = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j ,$$

    computes the same $g$ with every exponent $\le 0$ (no overflow) and one exponent equal
    to $0$ (the sum is $\ge 1$, no $0/0$). For the loss,
    $C = -\ln g_y = \ln\sum_j e^{z_j} - z_y$ with the **log-sum-exp**
    $\ln\sum_j e^{z_j} = m + \ln\sum_j e^{z_j - m}$, finite for any finite $z$.
    (`bplib.activations.softmax_naive` exists only to show this failure.)
    """),
    code("nb08-overflow", """
    z_big = np.array([1000.0, 999.0, 998.0])
    with np.errstate(over="ignore", invalid="ignore"):  # the warnings are the point here
        print("softmax_naive(z):", softmax_naive(z_big))
        print("-log softmax_naive(z)[0]:", -np.log(softmax_naive(z_big)[0]))
    print("softmax(z)      :", np.round(softmax(z_big), 6))
    print("softmax(z - 1000) is the same:", np.allclose(softmax(z_big), softmax(z_big - 1000)))
    print("logsumexp(z)    :", round(float(logsumexp(z_big)), 6))
    print("C for y = 0     :", round(float(softmax_ce_loss(z_big, 0)), 6))
    """, checked=True),
    md("nb08-widget-md", r"""
    ### Widget: scale and shift the logits

    The logits are $z = \text{scale}\cdot z_{\text{base}} + \text{shift}$ with
    $z_{\text{base}} = (1, 0.5, -0.25, 0.75)$. It starts at shift $= 720$, where every
    naive $e^{z_k}$ overflows. The **shift** does not change the probabilities at all —
    move it back towards $0$: the blue (stable) bars stay put, and the red (naive) ones
    reappear below shift $\approx 709$ (and turn into `nan` again below $\approx -746$).
    The **scale** makes the softmax sharper (a large scale is a low "temperature"); at
    scale $\approx 710$ the largest logit overflows.
    """),
    code("nb08-widget", """
    interactive_figure(
        M.softmax_bars_figure,
        scale=widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=3.3, step=0.05,
                                     description="scale"),
        shift=widgets.FloatSlider(value=720.0, min=-1000, max=1000, step=10, description="shift"),
    )
    """),
    md("nb08-reduced-md", r"""
    ## 3. The reduced model with $p_L = c - 1$ outputs

    Adding the same number to every logit leaves $g$ unchanged, so one logit is redundant.
    The reduced model fixes $z_0 = 0$ and has only $p_L = c - 1$ output nodes:
    $g = \operatorname{softmax}\big((0, z_{L,1}, \dots, z_{L,c-1})\big)$. Any full model
    becomes a reduced one with the same probabilities by subtracting class 0's row of the
    last layer:

    $$W_L' = W_L[1{:}] - W_L[0], \qquad b_L' = b_L[1{:}] - b_L[0]$$

    (`bplib.losses.reduce_multilogit`). Its $\delta_L$ is $g - e_y$ without entry $0$, and
    its $\frac{\partial S_L}{\partial z_L}$ is a $(c-1) \times c$ matrix — not square, so
    here the layout $[\cdot]_{ij} = \partial g_j / \partial z_i$ really matters.

    We train a full $2 \to 32 \to 3$ network on spirals, reduce it, and compare on the
    held-out points.
    """),
    code("nb08-reduced", """
    X, Y = make_spirals(300, seed=0)
    X_train, Y_train, X_test, Y_test = train_test_split(X, Y, test_fraction=0.25, seed=0)
    full = Network.init((2, 32, 3), hidden="relu", output="softmax", seed=0)
    steepest_descent(full, X_train, Y_train, lr=0.5, steps=200)
    reduced = M.reduced_network(full)

    print("full   : p =", full.p, " dim(theta) =", dim_theta(full.p))
    print("reduced: p =", reduced.p, " dim(theta) =", dim_theta(reduced.p),
          " classes =", reduced.n_classes)
    P_full, P_red = full.predict(X_test), reduced.predict(X_test)
    print("same probabilities (max abs diff < 1e-12):", np.abs(P_full - P_red).max() < 1e-12)
    print("same predicted classes on", len(X_test), "test points:",
          bool((full.predict_class(X_test) == reduced.predict_class(X_test)).all()))
    print("same test loss:", np.isclose(full.loss_value(X_test, Y_test),
                                       reduced.loss_value(X_test, Y_test), rtol=1e-12))

    z3 = rng.normal(size=2)
    f3 = M.delta_forms(z3, 2, output="reduced_softmax")
    print("reduced dS_L/dz_L shape:", reduced_softmax_jacobian(z3).shape,
          " delta_L: Jacobian form == closed form:", np.abs(f3.jacobian - f3.closed).max() < 1e-14,
          " == central difference:", np.abs(f3.numeric - f3.closed).max() < 1e-8)
    """, checked=True),
    md("nb08-summary", r"""
    ## Summary

    * Softmax + cross-entropy: $\delta_L = \frac{\partial S_L}{\partial z_L}
      \frac{\partial C}{\partial g} = g - e_y$, with
      $[\partial S_L / \partial z_L]_{ij} = \partial g_j / \partial z_i$ (the lecture's
      layout; symmetric for the full softmax, $(c-1) \times c$ for the reduced one).
    * Never exponentiate raw logits: subtract the maximum (softmax) and use log-sum-exp
      for the loss.
    * The reduced model ($c - 1$ outputs, $z_0 = 0$) describes exactly the same
      probabilities with $p_{L-1} + 1$ fewer parameters.
    """),
]

build("08_multilogit.ipynb", cells)
