"""Generate notebooks/03_theorem_and_proof.ipynb (see nb0_common.py)."""

from common import CHECK, build, code, md

cells = [
    md("nb03-title", r"""
    # 03 · The back-propagation theorem and its proof, checked

    **Theorem.** Let $\delta_l = \partial C / \partial z_l$ for one example $(x, y)$. Then,
    with $D_l = \operatorname{diag}(S_l'(z_l))$,

    $$\delta_{l-1} = D_{l-1} W_l^\top \delta_l \quad (l = L, \dots, 2), \qquad
    \frac{\partial C}{\partial W_l} = \delta_l\, a_{l-1}^\top, \qquad
    \frac{\partial C}{\partial b_l} = \delta_l ,$$

    starting from $\delta_L = \dfrac{\partial S_L}{\partial z_L}\,\dfrac{\partial C}{\partial g}$.

    In this notebook each step of the proof is computed from its formula and compared with
    a **finite-difference Jacobian** of the same map, for a small random network.
    """),
    md("nb03-layout", r"""
    ### The layout of the derivatives (read this first)

    The lecture writes the derivative of a vector $v$ with respect to a vector $u$ as the
    matrix whose **$(i, j)$ entry is $\partial v_j / \partial u_i$**: one row per input
    component, one column per output component, shape $(\dim u, \dim v)$. That is the
    *transpose* of the usual Jacobian. With this layout the chain rule multiplies in the
    order the proof writes it:

    $$\delta_{l-1} = \frac{\partial C}{\partial z_{l-1}}
    = \frac{\partial z_l}{\partial z_{l-1}}\,\frac{\partial C}{\partial z_l}
    = \frac{\partial z_l}{\partial z_{l-1}}\,\delta_l ,$$

    so $\dfrac{\partial z_l}{\partial z_{l-1}}$ has $(i, j)$ entry
    $\partial z_{l,j} / \partial z_{l-1,i}$ and shape $(p_{l-1}, p_l)$. The same layout is
    behind $\delta_L = (\partial S_L / \partial z_L)(\partial C / \partial g)$: the
    $(i, j)$ entry of $\partial S_L / \partial z_L$ is $\partial g_j / \partial z_{L,i}$.
    `bplib.plots.proof.fd_jacobian` returns finite differences in this layout.
    """),
    md("nb03-steps", r"""
    ### The steps of the proof

    1. $z_l = W_l\, S_{l-1}(z_{l-1}) + b_l$, so
       $\partial z_{l,j} / \partial z_{l-1,i} = W_{l,ji}\, S_{l-1}'(z_{l-1,i})$, i.e.
       $$\frac{\partial z_l}{\partial z_{l-1}} = D_{l-1} W_l^\top .$$
    2. Chain rule: $\delta_{l-1} = \dfrac{\partial z_l}{\partial z_{l-1}}\,\delta_l
       = D_{l-1} W_l^\top \delta_l$ (the **delta recursion**).
    3. $z_{l,i} = \sum_j W_{l,ij}\, a_{l-1,j} + b_{l,i}$ and $W_{l,ij}$ enters $C$ only through
       $z_{l,i}$, so $\partial C / \partial W_{l,ij} = \delta_{l,i}\, a_{l-1,j}$:
       $$\frac{\partial C}{\partial W_l} = \delta_l\, a_{l-1}^\top, \qquad
       \frac{\partial C}{\partial b_l} = \delta_l .$$

    Each is checked against central differences,
    $\big(f(u + h e_i) - f(u - h e_i)\big) / (2h)$ with $h = 10^{-6}$, in float64. Their
    error is about $h^2 |f'''| + \varepsilon |f| / h \approx 10^{-10}$ here, so we require a
    max absolute error below $10^{-7}$. The hidden layers use $\tanh$ and the logistic
    function: smooth, so finite differences are valid everywhere (the ReLU kink is
    notebook 06).
    """),
    code("nb03-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import ACTIVATIONS, Network
    from bplib.plots import proof as P
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)

    net = Network.init((3, 5, 4, 3), hidden=["tanh", "logistic"], output="softmax", seed=0)
    x = rng.normal(size=3)   # one example
    y = 2                    # its class label
    print("layer widths p =", net.p, " hidden S =", net.S[1:-1], " output:", net.S[-1])
    """),
    md("nb03-check-md", r"""
    ## Every step, every layer

    `proof_checks` computes, for $l = L, \dots, 1$: $\delta_l$ by the recursion (from the
    closed-form $\delta_L = g - e_y$ of softmax + cross-entropy) against the finite-difference
    gradient of $z_l \mapsto C$; $D_{l-1} W_l^\top$ against the finite-difference Jacobian of
    $z_{l-1} \mapsto z_l$; and $\delta_l a_{l-1}^\top$, $\delta_l$ against finite differences
    over the entries of $W_l$ and $b_l$.
    """),
    code("nb03-check", f"""
    {CHECK}
    checks = P.proof_checks(net, x, y, h=1e-6)
    for line in P.layer_verdicts(checks, tol=1e-7):
        print(line)
    print("all steps agree:", all(c.max_abs_error < 1e-7 for c in checks))
    """),
    md("nb03-widget-md", r"""
    ## Look at the matrices

    Pick a layer and a step: left the formula, middle the finite differences, right their
    difference (note its colour scale, around $10^{-10}$). For $l = 1$ there is no
    $\partial z_1/\partial z_0$: the input has no pre-activation.
    """),
    code("nb03-widget", """
    interactive_figure(
        lambda layer, quantity: P.proof_figure(checks, layer, quantity),
        layer=widgets.IntSlider(value=net.L, min=1, max=net.L, description="layer l"),
        quantity=widgets.Dropdown(options=list(P.QUANTITIES), value="dz_l/dz_{l-1}",
                                  description="step"),
    )
    """),
    md("nb03-wrong-md", r"""
    ## A check that can fail

    The comparison would catch a wrong formula. Drop $D_{l-1}$ (as if $S' \equiv 1$) and the
    error jumps from $10^{-10}$ to the size of the entries; write the usual Jacobian
    $W_l D_{l-1}$ and even the shape is wrong, since it is the transpose:
    """),
    code("nb03-wrong", f"""
    {CHECK}
    z, a = net.feed_forward(x)
    numeric = P.fd_jacobian(P.z_map(net, 3), z[2])  # dz_3/dz_2 in the lecture layout
    D_2 = np.diag(ACTIVATIONS["logistic"].dS(z[2]))
    W_3 = net.W[3]
    print("finite differences          shape", numeric.shape)
    for name, M in [("D_2 W_3^T (the theorem)", D_2 @ W_3.T),
                    ("W_3^T (D_2 dropped)", W_3.T),
                    ("W_3 D_2 (usual layout)", W_3 @ D_2),
                    ("(W_3 D_2)^T", (W_3 @ D_2).T)]:
        same_shape = M.shape == numeric.shape
        verdict = np.abs(M - numeric).max() < 1e-7 if same_shape else "shapes differ"
        print(f"{{name:<27}} shape {{M.shape}}  max |error| < 1e-7: {{verdict}}")
    """),
    md("nb03-summary", r"""
    The usual Jacobian $W_3 D_2$ is the transpose of the lecture's
    $\partial z_3 / \partial z_2 = D_2 W_3^\top$: both are right, in their own layout.
    Algorithm 1 (notebook 04) is these steps in order, and Algorithm 2 (notebook 05) their
    mean over a training set.
    """),
]

if __name__ == "__main__":
    build("03_theorem_and_proof.ipynb", cells)
