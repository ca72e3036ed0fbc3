"""The dark-knowledge measurements (renyi_kd.dark_knowledge): the bias shift is the exact maximiser of validation
accuracy (against a fine brute-force search), the smallest among ties, and the test metrics read only test."""

from __future__ import annotations

import numpy as np
import pytest

from renyi_kd.dark_knowledge import bias_shift, dark_knowledge_metrics, shift_logits


def student(n: int, omitted: list[int], deficit: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a student that knows the classes but whose omitted classes' logits are ``deficit`` too low."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 10, n)
    logits = rng.normal(0, 1, (n, 10))
    logits[np.arange(n), targets] += 2.5
    logits[:, omitted] -= deficit
    return logits, targets


def accuracy(logits: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean(logits.argmax(1) == targets))


@pytest.mark.parametrize(("omitted", "deficit", "seed"), [([3], 4.0, 0), ([3], 0.0, 1), ([2, 7], 2.5, 2), ([0], 9.0, 3)])
def test_the_shift_is_the_exact_maximiser_of_validation_accuracy(omitted, deficit, seed) -> None:
    logits, targets = student(400, omitted, deficit, seed)
    chosen = bias_shift(logits, targets, omitted)
    best = accuracy(shift_logits(logits, omitted, chosen), targets)
    grid = np.linspace(0, 15, 3001)  # steps of 0.005: finer than the gaps between these random logits
    brute = max(accuracy(shift_logits(logits, omitted, b), targets) for b in grid)
    assert chosen >= 0 and best >= brute
    assert best >= accuracy(logits, targets)  # b = 0 is a candidate
    if deficit >= 4:  # a large deficit is mostly undone
        assert abs(chosen - deficit) < 2.0


def test_ties_at_no_shift_are_broken_as_argmax_breaks_them() -> None:
    assert bias_shift(np.array([[1.0, 1.0]]), np.array([0]), [0]) == 0.0  # argmax already says class 0
    rng = np.random.default_rng(5)
    grid = np.r_[0.0, np.linspace(0, 6, 601) + 1e-7]  # no shift, and shifts off the ties (a tie is no choice)
    for _ in range(100):  # integer logits: many ties; the chosen shift is as good as any on the grid
        logits, targets, omitted = rng.integers(-2, 3, (30, 4)).astype(float), rng.integers(0, 4, 30), [1]
        best = accuracy(shift_logits(logits, omitted, bias_shift(logits, targets, omitted)), targets)
        assert best >= max(accuracy(shift_logits(logits, omitted, b), targets) for b in grid)


def test_the_lowest_best_shift_is_chosen_and_zero_when_nothing_is_gained() -> None:
    logits = np.array([[0.0, 1.0, 3.0], [0.0, 2.0, 0.5]])  # class 2 omitted; image 0 is a 2, image 1 a 1
    assert bias_shift(logits, np.array([2, 1]), [2]) == 0.0
    logits = np.array([[0.0, 2.0, 1.0], [0.0, 3.0, 0.0]])  # image 0 (a 2) needs b > 1; b > 3 breaks image 1
    assert 1.0 < bias_shift(logits, np.array([2, 1]), [2]) < 3.0


def test_the_test_metrics_split_omitted_and_kept_images_and_apply_the_given_shift() -> None:
    logits = np.array([[0.0, 2.0, 1.0], [0.0, 0.0, 1.0], [3.0, 0.0, 0.0], [0.0, 1.0, 0.5]])
    targets = np.array([2, 2, 0, 1])
    values = dark_knowledge_metrics(logits, targets, [2], 1.5)
    assert values == {"omitted_acc": 0.5, "omitted_acc_shifted": 1.0, "kept_acc": 1.0, "kept_acc_shifted": 0.5,
                      "bias_shift": 1.5}
    with pytest.raises(ValueError, match="both omitted and kept"):
        dark_knowledge_metrics(logits[:2], targets[:2], [2], 0.0)
    with pytest.raises(ValueError, match="some but not all"):
        bias_shift(logits, targets, [0, 1, 2])


def test_a_final_run_chooses_the_shift_on_validation_and_applies_it_to_test(monkeypatch) -> None:
    """The final run's dark-knowledge values: the student's validation logits choose the shift (their omitted class
    is 4 too low), the test logits (1.5 too low) only receive it; the shift is not the one test would choose."""
    from types import SimpleNamespace

    import torch

    from renyi_kd.training import student as student_module

    val_logits, val_targets = student(600, [3], 4.0, seed=10)
    test_logits, test_targets = student(600, [3], 1.5, seed=11)
    splits = {"val": [0, 1, 2], "test": [7, 8, 9], "transfer": [4, 5]}
    asked = []

    def predict(model, source, indices, *, batch_size, runtime):
        asked.append(indices)
        return torch.as_tensor(val_logits, dtype=torch.float32), torch.as_tensor(val_targets)

    monkeypatch.setattr(student_module, "predict", predict)
    setup = SimpleNamespace(
        experiment=SimpleNamespace(data=SimpleNamespace(omit_classes=(3,)), student=SimpleNamespace(batch_size=8)),
        prepared=SimpleNamespace(splits=splits), source=None, runtime=None,
    )
    values = student_module._dark_knowledge(setup, None, torch.as_tensor(test_logits, dtype=torch.float32),
                                            torch.as_tensor(test_targets))
    assert asked == [splits["val"]]  # the shift reads validation only
    val32 = torch.as_tensor(val_logits, dtype=torch.float32).double().numpy()
    assert values["bias_shift"] == bias_shift(val32, val_targets, [3]) and abs(values["bias_shift"] - 4.0) < 2.0
    assert abs(values["bias_shift"] - bias_shift(test_logits, test_targets, [3])) > 1.0  # not test's choice
    expected = dark_knowledge_metrics(torch.as_tensor(test_logits, dtype=torch.float32).double().numpy(),
                                      test_targets, [3], values["bias_shift"])
    assert values == expected
    setup.experiment.data.omit_classes = ()
    assert student_module._dark_knowledge(setup, None, torch.zeros(3, 10), torch.zeros(3)) == {}
    assert asked == [splits["val"]]  # no class omitted: nothing predicted, nothing added to the run's metrics
