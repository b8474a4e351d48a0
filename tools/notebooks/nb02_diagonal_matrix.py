"""Generate notebooks/02_diagonal_matrix.ipynb (see nb0_common.py)."""

from common import CHECK, build, code, md

cells = [
    md("nb02-title", r"""
    # 02 · The diagonal matrix $D_l$ and the component-wise shortcut

    The hidden activations act on each component separately: $a_{l,i} = S_l(z_{l,i})$.
    So $a_{l,i}$ depends on $z_{l,j}$ only when $i = j$, and the Jacobian is diagonal:

    $$\frac{\partial a_l}{\partial z_l} = D_l = \operatorname{diag}\big(S_l'(z_l)\big)
    = \begin{pmatrix} S_l'(z_{l,1}) & & 0\\ & \ddots & \\ 0 & & S_l'(z_{l,p_l})\end{pmatrix}.$$

    (A diagonal matrix is its own transpose, so here the lecture's layout,
    entry $(i, j) = \partial a_{l,j} / \partial z_{l,i}$, and the usual one agree.)

    $D_l$ appears in the back-propagation recursion
    $\delta_{l-1} = D_{l-1} W_l^\top \delta_l$. Nobody forms it, because multiplying by a
    diagonal matrix is a component-wise product:

    $$\operatorname{diag}(a)\, b = a \odot b .$$
    """),
    code("nb02-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import ACTIVATIONS, Network
    from bplib.plots import diagonal as Dg
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb02-D-md", r"""
    ## 1. What $D_l$ looks like

    For a random $z_l$ with $p_l = 8$ entries: $D_l$ (left) is zero off the diagonal, and its
    diagonal is the vector $S'(z_l)$ (right). Choose the activation: the logistic gives
    $S'(z) \le 1/4$, the ReLU gives $S'(z) \in \{0, 1\}$ (with $S'(0) = 0$ by `bplib`'s
    convention, see notebook 06), $\tanh$ gives $S'(z) \le 1$.
    """),
    code("nb02-D-widget", """
    interactive_figure(
        Dg.D_figure,
        activation=widgets.Dropdown(options=["logistic", "relu", "tanh"], value="logistic",
                                    description="S"),
    )
    """),
    md("nb02-check-md", r"""
    ## 2. $\operatorname{diag}(a)\, b = a \odot b$, checked

    Entry $i$ of $\operatorname{diag}(a)\, b$ is $\sum_j [i = j]\, a_i b_j = a_i b_i$.
    Below: the identity for random vectors, and then line 10 of Algorithm 1 computed both ways
    in a small network, $D_{l-1} W_l^\top \delta_l$ against
    $S_{l-1}'(z_{l-1}) \odot W_l^\top \delta_l$ (the form `bplib` uses).
    """),
    code("nb02-check", f"""
    {CHECK}
    for p in (1, 10, 1000):
        a, b = rng.normal(size=p), rng.normal(size=p)
        same = np.allclose(Dg.diag_times(a, b), Dg.hadamard(a, b), rtol=1e-14, atol=0)
        print(f"p = {{p:>4}}: diag(a) b == a ⊙ b: {{same}}")

    net = Network.init((4, 6, 5, 3), hidden="logistic", output="softmax", seed=0)
    x = rng.normal(size=4)
    z, a = net.feed_forward(x)
    delta_3 = rng.normal(size=3)              # any delta_l will do for the identity
    dS = ACTIVATIONS["logistic"].dS
    with_D = Dg.D_matrix(dS, z[2]) @ net.W[3].T @ delta_3
    shortcut = dS(z[2]) * (net.W[3].T @ delta_3)
    print("delta_2 = D_2 W_3^T delta_3 == S'(z_2) ⊙ W_3^T delta_3:",
          np.allclose(with_D, shortcut, rtol=1e-13, atol=0))
    """),
    md("nb02-cost-md", r"""
    ## 3. Why it matters: $O(p^2)$ against $O(p)$

    Forming $\operatorname{diag}(a)$ writes $p^2$ numbers, and the matrix-vector product
    does $p^2$ multiply-adds, almost all with zeros. The component-wise product does $p$
    multiplications.
    """),
    code("nb02-cost", f"""
    {CHECK}
    for p in (100, 1000, 4096):
        print(f"p = {{p:>4}}: diag(a) b uses {{p * p:>10,}} multiply-adds and"
              f" {{p * p * 8 / 2**20:7.2f}} MiB;  a ⊙ b uses {{p:>5,}} multiplications")
    """),
    md("nb02-timing-md", r"""
    The widget measures both on this machine, for $p$ up to `max p` (for
    $\operatorname{diag}(a)\,b$; $a \odot b$ always runs up to $p = 2^{20}$), taking the best
    of `repeat` runs. On a log-log plot a cost $\propto p^k$ is a line of slope $k$; the
    dashed lines are the slopes 2 and 1. At small $p$ both curves are flat: a fixed call
    overhead of about a microsecond hides the work. The jump of
    $\operatorname{diag}(a)\,b$ near $p = 1000$ is the $p \times p$ matrix leaving the CPU
    cache. Timings are noisy and machine-dependent: read the slopes, not the numbers.
    """),
    code("nb02-timing", """
    interactive_figure(
        Dg.timing_plot,
        max_p=widgets.SelectionSlider(options=[256, 512, 1024, 2048, 4096], value=4096,
                                      description="max p"),
        repeat=widgets.IntSlider(value=3, min=1, max=7, description="repeat"),
    )
    """),
    md("nb02-summary", r"""
    **Take-away.** Write the theorem with $D_l$ (it is the chain rule), compute it with
    $\odot$: `bplib.backprop` implements line 10 of Algorithm 1 as
    `dS(z[l-1]) * (W[l].T @ delta[l])`.
    """),
]

if __name__ == "__main__":
    build("02_diagonal_matrix.ipynb", cells)
