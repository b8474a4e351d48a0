"""Generate notebooks/01_gradient_computations.ipynb (see nb0_common.py)."""

from common import CHECK, build, code, md

cells = [
    md("nb01-title", r"""
    # 01 · Gradient computations: $\theta$ as one vector

    Training a network means minimising the **training loss** over all its weights and biases.
    To speak about "the gradient" we first collect every parameter into one vector $\theta$.
    This notebook covers

    1. $\theta$ as one vector: packing $\{W_l, b_l\}_{l=1}^L$ into $\theta$ and unpacking it again;
    2. $\dim(\theta)$ for any layer sizes you type (a widget);
    3. the training loss as the mean of the per-example losses $C_i(\theta)$.

    Conventions (as in the lecture and everywhere in `bplib`): $W_l$ has shape
    $(p_l, p_{l-1})$, $b_l$ has shape $(p_l,)$, $z_l = W_l a_{l-1} + b_l$, $a_l = S_l(z_l)$;
    a batch holds one example per row.
    """),
    code("nb01-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import Network, dim_theta, pack, unpack, theta_blocks
    from bplib.backprop import algorithm2_batched
    from bplib.plots import theta as T
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb01-pack-md", r"""
    ## 1. $\theta$ as one vector

    $\theta$ stacks, layer after layer, the entries of $W_l$ (row by row) and then $b_l$:

    $$\theta = \big[\operatorname{vec}(W_1);\ b_1;\ \operatorname{vec}(W_2);\ b_2;\ \dots;\
    \operatorname{vec}(W_L);\ b_L\big].$$

    The order is a convention; what matters is that `pack` and `unpack` are inverse to each
    other, so a gradient with respect to $\theta$ can be read back as the matrices
    $\partial C/\partial W_l$ and vectors $\partial C/\partial b_l$.
    """),
    code("nb01-pack", f"""
    {CHECK}
    p = (2, 3, 2)
    net = Network.init(p, hidden="tanh", output="softmax", seed=0)
    for l in range(1, net.L + 1):
        print(f"W_{{l}}: shape {{net.W[l].shape}}   b_{{l}}: shape {{net.b[l].shape}}")

    theta = pack(net.W, net.b)
    W, b = unpack(theta, p)
    print("theta.shape =", theta.shape)
    print("unpack(pack(W, b)) == (W, b):",
          all(np.array_equal(W[l], net.W[l]) and np.array_equal(b[l], net.b[l])
              for l in range(1, net.L + 1)))
    print("pack(unpack(theta)) == theta:", np.array_equal(pack(W, b), theta))
    for name, sl, shape in theta_blocks(p):
        print(f"{{name}} sits in theta[{{sl.start}}:{{sl.stop}}] with shape {{shape}}")
    """),
    code("nb01-layout", """
    T.theta_layout_figure(p)
    """),
    md("nb01-dim-md", r"""
    ## 2. $\dim(\theta)$

    Layer $l$ contributes $p_{l-1}\,p_l$ weights (the entries of $W_l$) and $p_l$ biases, so

    $$\dim(\theta) = \sum_{l=1}^{L} \big(p_{l-1}\,p_l + p_l\big).$$

    The gradient $\partial \ell / \partial \theta$ has exactly this many entries; for an
    MNIST-sized network $784 \to 100 \to 10$ that is already 79 510 partial derivatives,
    which is why we need back-propagation rather than one finite difference per entry.
    """),
    code("nb01-dim", f"""
    {CHECK}
    for widths in [(2, 3, 1), (2, 3, 2), (784, 100, 10), (10, 50, 50, 50, 1)]:
        counts = T.layer_counts(widths)
        weights = sum(c.weights for c in counts)
        biases = sum(c.biases for c in counts)
        print(f"p = {{str(widths):<22}} weights {{weights:>6}} + biases {{biases:>4}}"
              f" = dim(theta) {{dim_theta(widths):>6}}")
    """),
    md("nb01-widget-md", r"""
    **Try it.** Type layer sizes $p_0, p_1, \dots, p_L$ separated by commas (press Enter).
    The formula with your numbers appears on the left, the split of each layer into weights
    and biases on the right. A typo gives a message, not an error.
    """),
    code("nb01-widget", """
    interactive_figure(
        T.dim_theta_figure,
        layer_sizes=widgets.Text(value="2, 3, 1", description="p_0, ..., p_L",
                                 continuous_update=False),
    )
    """),
    md("nb01-loss-md", r"""
    ## 3. The training loss is the mean of the $C_i$

    For a training set $\tau = \{(x_i, y_i)\}_{i=1}^n$ write
    $C_i(\theta) = \mathrm{Loss}\big(y_i, g(x_i \mid \theta)\big)$ for the loss on example $i$.
    The training loss is their mean,

    $$\ell_\tau\big(g(\cdot \mid \theta)\big) = \frac{1}{n} \sum_{i=1}^{n} C_i(\theta),
    \qquad\text{so}\qquad
    \frac{\partial \ell_\tau}{\partial \theta} = \frac{1}{n} \sum_{i=1}^{n}
    \frac{\partial C_i}{\partial \theta}.$$

    Back-propagation (Algorithm 1, notebook 04) computes one $\partial C_i / \partial\theta$;
    Algorithm 2 (notebook 05) averages them. Here the network is a softmax classifier, so
    $C_i(\theta) = -\log g_{y_i}(x_i \mid \theta)$ (cross-entropy).
    """),
    code("nb01-loss", f"""
    {CHECK}
    n = 40
    X = rng.normal(size=(n, 2))          # one example per row
    Y = rng.integers(0, 2, size=n)       # class labels 0 or 1
    C = T.per_example_losses(net, X, Y)  # C_1, ..., C_n
    print("C_i computed for n =", C.shape[0], "examples")
    print("mean of C_i == net.loss_value(X, Y):", np.isclose(C.mean(), net.loss_value(X, Y),
                                                          rtol=1e-12, atol=0))
    grad = algorithm2_batched(net, X, Y)
    print("gradient of the training loss has dim(theta) entries:",
          grad.theta().shape == (dim_theta(p),))
    """),
    md("nb01-loss-widget-md", r"""
    Move the slider to use only the first $n$ examples: each bar is one $C_i$, the red line is
    their mean $\frac1n\sum_i C_i(\theta)$. It settles down as $n$ grows; the gradient, a mean
    of $n$ per-example gradients, does the same.
    """),
    code("nb01-loss-widget", """
    interactive_figure(
        lambda n: T.training_loss_figure(C, n),
        n=widgets.IntSlider(value=10, min=1, max=len(C), description="n"),
    )
    """),
]

if __name__ == "__main__":
    build("01_gradient_computations.ipynb", cells)
