"""Percentile bootstrap over tuning repeats, seeds and test images, paired across methods.

A final run is a unit ``(repeat, seed)`` of a method; two methods pair on the units both have. One resample:

1. draws the tuning repeats with replacement, then, within each drawn repeat, its seeds with replacement;
   unit u gets the weight ``a_u`` = how often it was drawn, over the number of draws;
2. draws the test images with replacement (counts ``w_i``). Every run of every method sees the *same* image
   draw: the test set is one sample shared by all seeds and methods, so images are crossed with seeds, not
   nested in them (the "pigeonhole" bootstrap of Owen 2007, Ann. Appl. Stat. 1(2), slightly conservative);
3. gives the statistic ``sum_u a_u (M_{method,u}(w) - M_{reference,u}(w))`` for a paired difference, or
   ``sum_u a_u M_{method,u}(w)`` for one method, where ``M_u(w)`` is run u's metric on the weighted images
   (:mod:`renyi_kd.report.image_metrics`).

The interval at level ``1 - a`` is the ``a/2`` and ``1 - a/2`` quantiles of the resampled statistics. A run
without per-image predictions keeps its ``runs.csv`` value in every resample (step 2 drops out): its interval
covers the seeds only, which :data:`SEEDS_ONLY` names. scipy's ``bootstrap`` resamples one level only, hence
this module. Draws come from ``numpy.random.default_rng([seed, stream])``: stream 0 for the images, stream 1
for the units, so an interval depends only on the seed, the units and the number of resamples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from renyi_kd.report.image_metrics import ImageValues

__all__ = ["SEEDS_AND_IMAGES", "SEEDS_ONLY", "Replicates", "percentile_interval", "resampled_mean", "unit_weights"]

SEEDS_AND_IMAGES = "seeds+images"  # tuning repeats are resampled in both
SEEDS_ONLY = "seeds"
_CHUNK = 256  # resamples per image-weight block: bounds memory at _CHUNK x n_images
Unit = tuple[int, int]  # (repeat, seed)
RunKey = tuple[str, int, int]  # (method, repeat, seed)


def _counts(rng: np.random.Generator, rows: int, categories: int, draws: int) -> np.ndarray:
    """``[rows, categories]`` counts of ``draws`` uniform draws with replacement, one row per resample."""
    picks = rng.integers(categories, size=(rows, draws)) + categories * np.arange(rows)[:, None]
    return np.bincount(picks.ravel(), minlength=rows * categories).reshape(rows, categories).astype(float)


def unit_weights(units: Sequence[Unit], resamples: int, seed: int) -> np.ndarray:
    """``[resamples, len(units)]`` weights (rows sum to 1): repeats drawn with replacement, then seeds within each."""
    rng = np.random.default_rng([seed, 1])
    repeats = sorted({repeat for repeat, _ in units})
    members = [np.array([i for i, (r, _) in enumerate(units) if r == repeat]) for repeat in repeats]
    drawn = rng.integers(len(repeats), size=(resamples, len(repeats)))
    weights = np.zeros((resamples, len(units)))
    for draw in range(len(repeats)):
        for k, index in enumerate(members):
            seeds = _counts(rng, resamples, len(index), len(index))
            weights[:, index] += seeds * (drawn[:, draw] == k)[:, None]
    return weights / weights.sum(axis=1, keepdims=True)


def resampled_mean(values: np.ndarray, units: Sequence[Unit], resamples: int, seed: int) -> np.ndarray:
    """``sum_u a_u values[:, u]`` per resample; ``values`` is ``[resamples, units]`` (``[units]``: the same in each)."""
    return (unit_weights(units, resamples, seed) * values).sum(axis=1)


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    low, high = np.quantile(replicates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


class Replicates:
    """Every run's metrics under one shared draw of test images (:meth:`matrix`), and the draw of the units
    that turns them into resampled means (:meth:`resampled_mean`)."""

    def __init__(self, values: Mapping[RunKey, Mapping[str, ImageValues]], resamples: int, seed: int) -> None:
        self.resamples, self.seed = resamples, seed
        self._replicates: dict[tuple[RunKey, str], np.ndarray] = {}
        sizes = {v.n_images for metrics in values.values() for v in metrics.values()}
        if len(sizes) > 1:
            raise ValueError(f"runs have different numbers of test images: {sorted(sizes)}")
        if not sizes:
            return
        (n_images,) = sizes
        rng = np.random.default_rng([seed, 0])
        blocks: dict[tuple[RunKey, str], list[np.ndarray]] = {}
        for start in range(0, resamples, _CHUNK):
            weights = _counts(rng, min(_CHUNK, resamples - start), n_images, n_images)
            for run, metrics in values.items():
                for metric, image_values in metrics.items():
                    blocks.setdefault((run, metric), []).append(image_values.under(weights))
        self._replicates = {key: np.concatenate(parts) for key, parts in blocks.items()}

    def resampled_mean(self, values: np.ndarray, units: Sequence[Unit]) -> np.ndarray:
        """:func:`resampled_mean` with this draw's number of resamples and seed."""
        return resampled_mean(values, units, self.resamples, self.seed)

    def matrix(self, runs: Sequence[RunKey], metric: str, fallback: Sequence[float]) -> tuple[np.ndarray, str]:
        """``[resamples, len(runs)]`` replicates of ``metric``, or, when a run has no per-image values, the
        ``fallback`` values (``runs.csv``) as ``[len(runs)]``; and the name of what the interval covers."""
        columns = [self._replicates.get((run, metric)) for run in runs]
        if any(column is None for column in columns):
            return np.asarray(fallback, dtype=float), SEEDS_ONLY
        return np.stack(columns, axis=1), SEEDS_AND_IMAGES
