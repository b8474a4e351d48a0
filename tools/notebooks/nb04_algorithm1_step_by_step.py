"""Generate notebooks/04_algorithm1_step_by_step.ipynb (see nb0_common.py)."""

from common import CHECK, build, code, md

cells = [
    md("nb04-title", r"""
    # 04 · Algorithm 1, step by step

    Algorithm 1 computes the gradient of the loss $C$ for **one** example $(x, y)$: a
    feed-forward pass that keeps every $z_l$ and $a_l$, then a backward pass that applies the
    theorem of notebook 03 from the output layer down.

    | line | |
    |---|---|
    | 1 | $a_0 \leftarrow x$ |
    | 2 | **for** $l = 1, \dots, L$ **do** |
    | 3 | $\quad z_l \leftarrow W_l a_{l-1} + b_l$ |
    | 4 | $\quad a_l \leftarrow S_l(z_l)$ |
    | 5 | $\delta_L \leftarrow \frac{\partial S_L}{\partial z_L}\,\frac{\partial C}{\partial g}$ |
    | 6 | $z_0 \leftarrow 0$ |
    | 7 | **for** $l = L, \dots, 1$ **do** |
    | 8 | $\quad \partial C / \partial b_l \leftarrow \delta_l$ |
    | 9 | $\quad \partial C / \partial W_l \leftarrow \delta_l\, a_{l-1}^\top$ |
    | 10 | $\quad \delta_{l-1} \leftarrow S_{l-1}'(z_{l-1}) \odot W_l^\top \delta_l$ |
    | 11 | **return** $\partial C/\partial W_l, \partial C/\partial b_l$ ($l=1..L$), $g(x)=a_L$ |

    Line 10 is $\delta_{l-1} = D_{l-1} W_l^\top \delta_l$ with the product by $D_{l-1}$
    written component-wise (notebook 02). Line 6 only gives $z_0$ a value so that line 10
    could run for $l = 1$; the $\delta_0$ it would produce is never used, so `bplib` skips
    line 10 when $l = 1$. For softmax with cross-entropy, line 5 is $\delta_L = g - e_y$.
    """),
    code("nb04-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import Network, algorithm1
    from bplib.gradcheck import gradcheck
    from bplib.plots import algorithm1 as A
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    code("nb04-net", f"""
    {CHECK}
    net = Network.init((2, 3, 3, 2), hidden="tanh", output="softmax", seed=0)
    x = np.array([1.0, -2.0])  # one example, p_0 = 2
    y = 1                      # its class (0 or 1)
    steps = A.snapshots(net, x, y)  # the state after every line that runs
    print(f"p = {{net.p}}, L = {{net.L}}: Algorithm 1 runs {{len(steps)}} lines"
          f" (7L + 3 = {{A.n_steps(net.L)}})")
    """),
    md("nb04-widget-md", r"""
    ## Walk through it

    Move the **step** slider. Left: the algorithm, the line just executed highlighted.
    Right: the network, one circle per node, with the values known after that line:
    $z_l$ and $a_l$ in blue (feed-forward), $\delta_l$ and the gradients in red (backward);
    the values the line has just computed are **bold on yellow**, and the weights the
    line uses are coloured. Watch $\delta$ travel from layer $L$ back to layer 1 (lines 7-10),
    each $\partial C/\partial W_l$ appear under its $W_l$ (line 9), and
    $\partial C/\partial b_l = \delta_l$ needing no computation at all (line 8).
    """),
    code("nb04-widget", """
    interactive_figure(
        lambda step: A.step_figure(steps, step, net.p),
        step=widgets.IntSlider(value=len(steps), min=1, max=len(steps), description="step"),
    )
    """),
    md("nb04-result-md", r"""
    ## The result, and a check against finite differences

    `bplib.algorithm1` runs the same lines and returns the last state: one
    $\partial C/\partial W_l$ of the shape of $W_l$ and one $\partial C/\partial b_l$ of the
    shape of $b_l$ per layer. `bplib.gradcheck.gradcheck` compares it, block by block, with
    central differences of $C(\theta)$ over every entry of $\theta$ ($h = 10^{-6}$, float64),
    and reports the relative error $\lVert g_{bp} - g_{fd}\rVert /
    (\lVert g_{bp}\rVert + \lVert g_{fd}\rVert)$, which is around $10^{-9}$ for a correct
    gradient; we require less than $10^{-6}$.
    """),
    code("nb04-check", f"""
    {CHECK}
    g = algorithm1(net, x, y)
    last = steps[-1]
    print("last step == algorithm1(net, x, y):",
          all(np.array_equal(last.dW[l], g.W[l]) and np.array_equal(last.db[l], g.b[l])
              for l in range(1, net.L + 1)))
    for l in range(1, net.L + 1):
        print(f"dC/dW_{{l}}: shape {{g.W[l].shape}} (W_{{l}}: {{net.W[l].shape}})   "
              f"dC/db_{{l}}: shape {{g.b[l].shape}}")

    report = gradcheck(net, x[None, :], np.array([y]),
                       gradient=lambda net, X, Y: algorithm1(net, X[0], Y[0]),
                       h=1e-6, tol=1e-6)
    for block in report.blocks:
        print(f"{{block.name}}: relative error < 1e-6: {{block.rel_error < 1e-6}}")
    print("gradient check passed:", report.passed)
    """),
    md("nb04-next", r"""
    Next: Algorithm 2 averages this over a training set, and notebook 05 shows why it should
    do so in batched matrix form rather than by calling Algorithm 1 $n$ times.
    """),
]

if __name__ == "__main__":
    build("04_algorithm1_step_by_step.ipynb", cells)
