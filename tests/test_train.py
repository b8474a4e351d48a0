"""Training loop details: the progress bar and argument checks (learning itself is tested in
test_backprop.py)."""

from __future__ import annotations

import numpy as np
import pytest
import tqdm.auto

import bplib.train
from bplib import Network
from bplib.data import make_spirals
from bplib.train import sgd, steepest_descent


@pytest.fixture
def problem():
    X, y = make_spirals(30, seed=0)
    return Network.init([2, 5, 3], seed=0), X, y


def test_progress_bar_is_tqdm_auto():
    """tqdm.auto picks the widget bar inside Jupyter and the text bar elsewhere."""
    assert bplib.train.tqdm is tqdm.auto.tqdm


def test_progress_text_bar_outside_notebooks(problem, capsys):
    net, X, y = problem
    steepest_descent(net, X, y, steps=12, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "12/12" in err and "100%" in err
    sgd(net, X, y, steps=5, batch_size=8, progress=True)
    assert "5/5" in capsys.readouterr().err


def test_no_progress_prints_nothing(problem, capsys):
    net, X, y = problem
    steepest_descent(net, X, y, steps=12)
    sgd(net, X, y, steps=5, batch_size=8, progress=False)
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""


@pytest.mark.parametrize("lr", ["0.1", None, [0.1], True, 1 + 0j])
def test_learning_rate_of_the_wrong_type_is_a_type_error(problem, lr):
    net, X, y = problem
    with pytest.raises(TypeError, match=r"^lr: expected a positive finite learning rate "
                                        r"\(a real number\), got"):
        steepest_descent(net, X, y, lr=lr, steps=1)


@pytest.mark.parametrize("lr", [0.0, -0.1, np.nan, np.inf])
def test_learning_rate_out_of_range_is_a_value_error(problem, lr):
    net, X, y = problem
    theta = net.theta
    with pytest.raises(ValueError, match=r"^lr: expected a positive finite learning rate, got"):
        sgd(net, X, y, lr=lr, steps=1)
    np.testing.assert_array_equal(net.theta, theta)  # nothing was changed


def test_numpy_scalars_are_learning_rates(problem):
    net, X, y = problem
    assert len(steepest_descent(net, X, y, lr=np.float32(0.1), steps=2).loss) == 2
