"""Generate notebooks/10_training.ipynb (see nb1_common.py)."""

from common import build, code, md

cells = [
    md("nb10-title", r"""
    # 10 · Training by steepest descent, end to end

    Everything so far computes one gradient. Training repeats it: with the training loss

    $$\ell(\theta) = \frac1n \sum_{i=1}^n C_i(\theta)$$

    and its gradient from Algorithm 2 (Algorithm 1 averaged over the $n$ examples),
    **steepest descent** takes steps

    $$\theta \leftarrow \theta - \alpha\, \nabla_\theta\, \ell(\theta), \qquad\text{i.e.}\qquad
    W_l \leftarrow W_l - \alpha \frac{\partial \ell}{\partial W_l},\quad
    b_l \leftarrow b_l - \alpha \frac{\partial \ell}{\partial b_l}\quad (l = 1, \dots, L)$$

    with learning rate $\alpha > 0$. `bplib.train.steepest_descent` does exactly this
    (full batch: every step uses all $n$ training examples). Here it trains a ReLU network
    with a softmax output on a generated 2-D problem with 3 classes, and we look at

    1. a training run with a progress bar and loss/accuracy curves drawn live from a
       callback,
    2. the test accuracy on held-out points,
    3. the decision regions, and how they depend on the learning rate, the width and the
       depth (widgets).
    """),
    code("nb10-setup", """
    %matplotlib inline
    import ipywidgets as widgets
    import numpy as np
    from IPython.display import display

    from bplib.plots import training as T
    from bplib.train import History
    from bplib.widgets import interactive_figure

    rng = np.random.default_rng(0)
    """),
    md("nb10-data-md", r"""
    ## 1. Data

    `bplib.data.make_spirals` draws 300 points on three interleaved spiral arms (one class
    per arm, with noise); `train_test_split` keeps 25 % of them aside as a **test set** that
    training never sees. Inputs $x \in \mathbb R^2$, labels $y \in \{0, 1, 2\}$.
    """),
    code("nb10-data", """
    X_train, y_train, X_test, y_test = T.spiral_data()
    print("training set:", X_train.shape, " test set:", X_test.shape)
    print("examples per class (train):", np.bincount(y_train).tolist())
    """, checked=True),
    md("nb10-train-md", r"""
    ## 2. A training run, live

    The network is $2 \to 32 \to 32 \to 3$ (ReLU hidden layers, softmax output,
    cross-entropy loss), trained for 300 steps with $\alpha = 0.3$. `progress=True` shows a
    progress bar; the callback `T.LiveCurves` is called by `steepest_descent` after every
    logged step (every 5 steps here, when the test set is also evaluated) and redraws the
    curves below every 50 steps. (In a saved notebook you see the last drawing.)
    """),
    code("nb10-train", """
    handle = display(T.curves_figure(History(), "waiting for the first step"), display_id=True)
    live = T.LiveCurves(handle.update, every=50)
    net, hist = T.train_spirals(lr=0.3, width=32, depth=2, callback=live, progress=True)
    """),
    code("nb10-result", """
    print("steps:", hist.step[-1])
    print("training loss decreased:", hist.loss[-1] < hist.loss[0])
    print("test accuracy >= 0.9:", hist.test_accuracy[-1] >= 0.9)
    """, checked=True),
    code("nb10-result-exact", """
    print(f"final training loss {hist.loss[-1]:.4f}, training accuracy {hist.accuracy[-1]:.3f}, "
          f"test accuracy {hist.test_accuracy[-1]:.3f} ({len(y_test)} test points)")
    """),
    md("nb10-boundary-md", r"""
    ## 3. Decision regions

    The network predicts the class $\arg\max_k g_k(x)$ for every point of the plane; the
    coloured regions show this prediction on a grid, with the training points (dots) and
    the test points (crosses) on top.
    """),
    code("nb10-boundary", """
    T.training_figure(0.3, 32, 2)
    """),
    md("nb10-widget-md", r"""
    ### Widgets: learning rate and architecture

    Each change trains a fresh network for 300 steps with the chosen settings (all seeded,
    the same initial random state) and redraws the decision regions and the curves — about
    a second; settings seen before are cached. Things to try:

    * **learning rate** $\alpha$: $0.01$ is too slow (after 300 steps the regions are still
      almost straight); around $0.3$–$1$ works; $3$ and $10$ overshoot, and the loss jumps
      up and stays high (for deeper networks already at $3$);
    * **width**: 4 units cannot bend the boundaries enough; more units give smoother and
      more flexible regions;
    * **depth** (number of hidden layers): at a fixed learning rate, deeper networks fit
      faster here — and become unstable at smaller $\alpha$.
    """),
    code("nb10-widget", """
    interactive_figure(
        T.training_figure,
        lr=widgets.SelectionSlider(options=[0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0], value=0.3,
                                   description="lr α"),
        width=widgets.SelectionSlider(options=[4, 8, 16, 32, 64], value=32, description="width"),
        depth=widgets.IntSlider(value=2, min=1, max=3, description="depth"),
    )
    """),
    md("nb10-summary", r"""
    ## Summary

    * Training is steepest descent on $\ell(\theta) = \frac1n\sum_i C_i(\theta)$, with the
      gradient from back-propagation (Algorithm 2) at every step.
    * The learning rate trades speed for stability: too small and nothing happens in the
      step budget, too large and the loss blows up.
    * The test accuracy, on points never used for training, is what tells us the network
      has learned the spirals rather than memorised the training points.
    """),
]

build("10_training.ipynb", cells)
