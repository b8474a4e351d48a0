"""Generate notebooks/00_index.ipynb (see nb0_common.py)."""

from common import CHECK, build, code, md

NOTEBOOKS = [
    ("01_gradient_computations.ipynb", "Gradient computations",
     r"$\theta$ as one vector, $\dim(\theta)$ for layer sizes you type, the training loss as "
     r"the mean of the $C_i$"),
    ("02_diagonal_matrix.ipynb", "The diagonal matrix $D_l$",
     r"$D_l = \operatorname{diag}(S'(z_l))$, $\operatorname{diag}(a)\,b = a \odot b$, "
     r"$O(p^2)$ against $O(p)$ timed"),
    ("03_theorem_and_proof.ipynb", "The theorem and its proof",
     "every step of the proof against finite-difference Jacobians, as heat maps"),
    ("04_algorithm1_step_by_step.ipynb", "Algorithm 1, step by step",
     "the 11 lines walked with a slider on a drawn network, then gradient-checked"),
    ("05_algorithm2_batching.ipynb", "Algorithm 2 and why batching matters",
     "loop over examples against the batched matrix form; time against $n$; CPU vs GPU"),
    ("06_relu_kink.ipynb", "Differentiability and the ReLU kink",
     "how often $z = 0$ happens, what the gradient check does there, $S'(0) = 0$"),
    ("07_saturation.ipynb", "Saturation",
     r"logistic vs ReLU: per-layer $\lVert\delta_l\rVert$ and vanishing gradients"),
    ("08_multilogit.ipynb", "Multi-logit classification",
     r"softmax, cross-entropy, $\delta_L = g - e_y$, log-sum-exp, the reduced model"),
    ("09_multioutput_regression.ipynb", "Multi-output regression",
     r"squared error, $\delta_L = S_L'(z_L) \odot 2(g - y)$, a live fit"),
    ("10_training.ipynb", "Training by steepest descent",
     "end to end, with learning-rate and architecture widgets and test accuracy"),
]

EXERCISES = [
    ("ex1_theta.ipynb", r"$\dim(\theta)$, and pack/unpack of $\{W_l, b_l\}$ into $\theta$"),
    ("ex2_softmax_delta.ipynb", r"$\delta_L$ for softmax + cross-entropy, full and reduced"),
    ("ex3_regression_delta.ipynb",
     r"$\delta_L$ for an element-wise output activation with squared-error loss"),
    ("ex4_algorithm1.ipynb", "Algorithm 1: the gradient of one example"),
    ("ex5_algorithm2.ipynb", "Algorithm 2 in batched matrix form"),
    ("ex6_gradcheck.ipynb", "a central-difference gradient checker"),
    ("ex7_saturation.ipynb", r"(written) saturation: per-layer norms of $\delta_l$"),
]


def _notebook_table() -> str:
    rows = ["| | notebook | what you do there |", "|---|---|---|"]
    for i, (name, title, what) in enumerate(NOTEBOOKS, start=1):
        rows.append(f"| {i:02d} | [{title}]({name}) | {what} |")
    return "\n".join(rows)


def _exercise_list() -> str:
    lines = [f"{i}. [{name}](../exercises/{name}): {what}"
             for i, (name, what) in enumerate(EXERCISES, start=1)]
    return "\n".join(lines)


cells = [
    md("nb00-title", r"""
    # Back-propagation, slide by slide

    An interactive companion to the back-propagation lecture in Kroese, Botev, Taimre and
    Vaisman, *Data Science and Machine Learning* (chapter 9), in the lecture's notation.
    Every formula of the slides is a function of the `bplib` package, every notebook below
    shows one slide topic with a figure you can change, and every claim (a gradient, a
    formula, an identity) is checked numerically where you can see it.

    What the course covers: the parameter vector $\theta$ and the training loss; the
    Jacobian of an activation, $D_l$; the back-propagation theorem and its proof;
    Algorithm 1 (the gradient for one example) and Algorithm 2 (for a training set, batched);
    the ReLU kink and saturation; softmax with cross-entropy and multi-output regression;
    training by steepest descent.
    """),
    md("nb00-run", r"""
    ## How to run it

    From the top folder of the repository:

    ```bash
    make lab     # builds .venv (first time only) and opens this index in JupyterLab
    make test    # runs ruff and the whole test suite, re-running every notebook with nbval
    ```

    Use the kernel **Python (bplib)**. The notebooks are stored with their outputs, so the
    figures show in any notebook viewer; the sliders and boxes need a running kernel
    (*Run → Run All Cells*). Each notebook runs in well under 30 s on a laptop.
    """),
    md("nb00-notebooks", "## Notebooks\n\n" + _notebook_table()),
    md("nb00-exercises", "## Exercises\n\n"
       "Read the [exercises README](../exercises/README.md) first: it explains how the "
       "exercises are set up and graded.\n\n" + _exercise_list()),
    md("nb00-conventions", r"""
    ## Conventions (the same in the lecture, the code and the exercises)

    - Layers $l = 0, 1, \dots, L$ with widths $p_0$ (input), ..., $p_L$ (output).
    - $W_l$ has shape $(p_l, p_{l-1})$ and $b_l$ shape $(p_l,)$:
      $z_l = W_l a_{l-1} + b_l$, $a_l = S_l(z_l)$, $a_0 = x$, $g(x) = a_L$.
    - One example is a 1-D vector. **A batch has one example per row**, shape $(n, p_0)$,
      and the same step reads $Z_l = A_{l-1} W_l^\top + \mathbf 1 b_l^\top$.
    - Lists are indexed by layer: `net.W[l]`, `z[l]`, `a[l]`, with `a[0] = x`.
    - Derivatives of a vector by a vector use the lecture's layout: entry $(i, j)$ of
      $\partial v / \partial u$ is $\partial v_j / \partial u_i$ (notebook 03).
    - $\mathrm{ReLU}'(0) = 0$ (notebook 06); gradient checks run in float64.
    """),
    code("nb00-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np

    from bplib import Network, dim_theta
    from bplib.plots import theta as T
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    code("nb00-conventions-code", f"""
    {CHECK}
    net = Network.init((2, 3, 1), hidden="relu", output="identity", seed=0)
    for l in range(1, net.L + 1):
        print(f"W_{{l}}: {{net.W[l].shape}} = (p_{{l}}, p_{{l - 1}})   b_{{l}}: {{net.b[l].shape}}")
    x = rng.normal(size=2)       # one example
    X = rng.normal(size=(5, 2))  # a batch: one example per row
    print("g(x) shape:", net.predict(x).shape, "  g(X) shape:", net.predict(X).shape)
    print("dim(theta) for p = (2, 3, 1):", dim_theta(net.p))
    """),
    md("nb00-teaser-md", r"""
    ## A first taste: how many numbers does back-propagation differentiate?

    Give every layer the same width $p$ and stack $L$ layers: then
    $\dim(\theta) = L\,(p^2 + p)$. Every one of these entries of $\theta$ gets a partial
    derivative in each step of training. Move the sliders; notebook 01 does this for any
    layer sizes.
    """),
    code("nb00-teaser", """
    interactive_figure(
        T.dim_theta_growth_figure,
        width=widgets.IntSlider(value=16, min=1, max=256, description="width p"),
        depth=widgets.IntSlider(value=3, min=1, max=10, description="layers L"),
    )
    """),
]

if __name__ == "__main__":
    build("00_index.ipynb", cells)
