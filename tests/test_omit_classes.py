"""``data.omit_classes`` (the dark-knowledge experiment): the transfer set holds no image of an omitted class, while
train (the teacher's), val and test are the very splits they are without it; bad values are refused naming the key."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from renyi_kd.config import ConfigError, validate_config
from renyi_kd.data.split_plan import SplitSizeError
from renyi_kd.data.splits import make_splits
from tiny_config import ROOT

ARGUMENTS = {"val_fraction": 0.2, "test_fraction": 0.2, "seed": 4}


def targets(per_class: tuple[int, ...] = (30, 25, 40, 35, 20)) -> np.ndarray:
    y = np.concatenate([np.full(n, c) for c, n in enumerate(per_class)])
    return np.random.default_rng(0).permutation(y)


@pytest.mark.parametrize("omitted", [[3], [0, 4], [1, 2, 3]])
@pytest.mark.parametrize("transfer_size", [4, 25, None])
def test_the_transfer_set_holds_no_omitted_class_and_the_other_splits_do_not_move(omitted, transfer_size) -> None:
    y = targets()
    plain = make_splits(y, transfer_size=transfer_size, **ARGUMENTS)
    dark = make_splits(y, transfer_size=transfer_size, omit_classes=omitted, **ARGUMENTS)
    assert {name: dark[name] for name in ("train", "val", "test")} == {n: plain[n] for n in ("train", "val", "test")}
    assert not np.isin(y[dark["transfer"]], omitted).any()
    assert set(dark["transfer"]) <= set(dark["train"])
    kept = [i for i in dark["train"] if y[i] not in omitted]
    assert len(dark["transfer"]) == (len(kept) if transfer_size is None else transfer_size)
    for name in ("train", "val", "test"):  # the omitted classes are still taught to the teacher and measured
        assert set(omitted) <= set(y[dark[name]].tolist()), name
    if transfer_size is not None and transfer_size >= 5 - len(omitted):  # stratified over the classes it shows
        assert set(y[dark["transfer"]].tolist()) == set(range(5)) - set(omitted)


def test_a_transfer_set_larger_than_the_shown_classes_is_refused_naming_transfer_size() -> None:
    y = targets()
    shown = len([i for i in make_splits(y, transfer_size=None, **ARGUMENTS)["train"] if y[i] != 2])
    assert len(make_splits(y, transfer_size=shown, omit_classes=[2], **ARGUMENTS)["transfer"]) == shown
    with pytest.raises(SplitSizeError, match="outside omit_classes") as error:
        make_splits(y, transfer_size=shown + 1, omit_classes=[2], **ARGUMENTS)
    assert error.value.key == "data.transfer_size"


@pytest.mark.parametrize("omitted", [[10], [-1], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [True], ["3"], [3, 3]])
def test_bad_omitted_classes_are_refused_before_any_job_naming_the_key(omitted) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["data"]["omit_classes"] = omitted
    with pytest.raises(ConfigError, match="data.omit_classes"):
        validate_config(config)


def test_no_omitted_class_is_the_default_and_changes_nothing() -> None:
    config = validate_config(yaml.safe_load((ROOT / "config.yaml").read_text()))
    assert config["data"]["omit_classes"] == []
    y = targets()
    assert make_splits(y, transfer_size=20, **ARGUMENTS) == make_splits(y, transfer_size=20, omit_classes=[], **ARGUMENTS)
