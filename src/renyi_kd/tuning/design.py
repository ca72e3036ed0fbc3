"""The start-up design of every tuning study: the same space-filling points for every method.

The first ``n_startup_trials`` trials of a study are the first points of a scrambled Sobol sequence
(``scipy.stats.qmc.Sobol``, scrambled with the study's sampler seed) over the experiment's shared search
space (``tuning.search_space``, in its order), mapped onto each range (log-uniform where ``log``). A method
takes the coordinates of the parameters it tunes, so two methods tune from the same learning rates,
weight decays, temperatures and betas: common random numbers, and no method's start depends on luck.
Parameters only one method has (a family's own, e.g. the alpha-beta divergence's ``ab_alpha``) come from a
second Sobol sequence over those, seeded from the sampler seed and their names, so the shared coordinates
never change when such a method is added.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from renyi_kd.experiment import SearchRange


def sobol_points(dimension: int, n: int, seed: int) -> np.ndarray:
    """The first ``n`` points of a scrambled Sobol sequence in ``[0, 1)^dimension``, shape ``[n, dimension]``."""
    from scipy.stats import qmc  # here: scipy.stats costs every tune job a few tenths of a second otherwise

    if dimension == 0 or n == 0:
        return np.zeros((n, dimension))
    with warnings.catch_warnings():  # balance holds for 2^m points; the first n of them are still space-filling
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(dimension, scramble=True, seed=seed).random(n)


def to_range(unit: float, space: SearchRange) -> float:
    """Map ``unit`` in [0, 1) onto ``[low, high]``, log-uniformly when ``space.log``."""
    low, high = float(space.low), float(space.high)
    if space.log:
        value = math.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
    else:
        value = low + unit * (high - low)
    return min(max(value, low), high)  # rounding in exp/log must not leave the range Optuna checks


def _extra_seed(seed: int, names: Sequence[str]) -> int:
    key = hashlib.sha256(f"{seed}:{','.join(names)}".encode()).digest()
    return int.from_bytes(key[:4], "little")


def startup_design(
    shared: Mapping[str, SearchRange], own: Mapping[str, SearchRange], tuned: Sequence[str], n: int, seed: int
) -> list[dict[str, float]]:
    """``n`` start-up points for a method that tunes ``tuned``: names in ``shared`` (the experiment's
    search space) take their coordinates from one Sobol sequence over all of ``shared``; names in ``own``
    (the method's own parameters) from a second one over those. Returns one dict per point."""
    unknown = [name for name in tuned if name not in shared and name not in own]
    if unknown:
        raise ValueError(f"no search range for {unknown}")
    shared_names = list(shared)
    own_names = [name for name in tuned if name not in shared]
    common = sobol_points(len(shared_names), n, seed)
    extra = sobol_points(len(own_names), n, _extra_seed(seed, own_names))
    points = []
    for i in range(n):
        point = {name: to_range(common[i, shared_names.index(name)], shared[name]) for name in tuned if name in shared}
        point |= {name: to_range(extra[i, j], own[name]) for j, name in enumerate(own_names)}
        points.append({name: point[name] for name in tuned})
    return points
