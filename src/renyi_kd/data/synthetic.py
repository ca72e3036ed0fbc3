"""A synthetic CIFAR-100 archive: the official python layout, learnable images, any size; no download.

The smoke config (``configs/cifar100-smoke.yaml``), the tests and the GPU check run the CIFAR-100 recipe on it
where the real archive is absent. It is written exactly as the official ``cifar-100-python/`` folder is
(``train``, ``test`` and ``meta``, pickled dicts of a uint8 array ``data [n, 3072]``, ``fine_labels`` and
``coarse_labels``), so :func:`renyi_kd.data.load_dataset` reads it like the real one. The CIFAR format is a
pickle: this is the only pickle the package writes, and it holds plain lists and arrays, the globals the
archive reader allows.

Images are learnable, so a student's accuracy rises above chance (1 %) in a few epochs: the 20 coarse classes
(5 fine classes each, as in CIFAR-100) have a colour each, and every fine class adds its own pattern of 4x4
blocks of 8 px (mirror-symmetric, so a horizontal flip keeps it, and coarse enough that a 4-px crop shift
keeps most of it), plus per-image noise. Classes of one coarse class look alike, which gives a teacher's soft
labels something to say. Everything is drawn from one seed: the same call writes the same bytes everywhere.

Usage: ``python -m renyi_kd.data.synthetic ROOT [--train-per-class 10] [--test-per-class 2] [--seed 0]``
writes ``ROOT/cifar-100-python/`` (point ``data.root`` at ROOT) unless it holds the same archive already.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import numpy as np

from renyi_kd.files import write_text

__all__ = ["FINE_CLASSES", "COARSE_CLASSES", "FOLDER", "synthetic_images", "write_synthetic_cifar100"]

FINE_CLASSES = 100
COARSE_CLASSES = 20
FOLDER = "cifar-100-python"
SIZE = 32
BLOCKS = 4  # a fine class's pattern: BLOCKS x BLOCKS blocks of SIZE // BLOCKS pixels
COLOUR_RANGE = (0.15, 0.85)
PATTERN_AMPLITUDE = 0.3
NOISE_STD = 0.1
# What was written, beside the archive: a rerun with the same arguments leaves the folder (and so the data
# fingerprint, and every result made from it) untouched.
STAMP = "synthetic.json"


def _templates(rng: np.random.Generator) -> np.ndarray:
    """The noise-free image of every fine class, ``[100, 3, 32, 32]`` in [0, 1] before clipping."""
    colours = rng.uniform(*COLOUR_RANGE, size=(COARSE_CLASSES, 3, 1, 1))
    blocks = rng.uniform(-1.0, 1.0, size=(FINE_CLASSES, 3, BLOCKS, BLOCKS))
    blocks = (blocks + blocks[..., ::-1]) / 2  # mirror-symmetric: a flipped image keeps its class pattern
    pattern = np.kron(blocks, np.ones((SIZE // BLOCKS, SIZE // BLOCKS)))
    coarse = np.arange(FINE_CLASSES) % COARSE_CLASSES
    return colours[coarse] + PATTERN_AMPLITUDE * pattern


def synthetic_images(labels: np.ndarray, templates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 rows ``[n, 3072]`` (CIFAR's channel-major layout) of the classes ``labels``, with fresh noise."""
    images = templates[labels] + rng.normal(0.0, NOISE_STD, size=(len(labels), 3, SIZE, SIZE))
    return np.round(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8).reshape(len(labels), -1)


def _part(labels: np.ndarray, templates: np.ndarray, rng: np.random.Generator, name: str) -> dict:
    """One archive file's content, keyed as the official files are."""
    return {
        "batch_label": f"synthetic {name}",
        "fine_labels": labels.tolist(),
        "coarse_labels": (labels % COARSE_CLASSES).tolist(),
        "data": synthetic_images(labels, templates, rng),
        "filenames": [f"{name}_{i:06d}.png" for i in range(len(labels))],
    }


def write_synthetic_cifar100(root: str | Path, *, train_per_class: int = 10, test_per_class: int = 2,
                             seed: int = 0) -> Path:
    """Write ``root/cifar-100-python/`` with ``train_per_class`` and ``test_per_class`` images of each of the 100
    classes (shuffled); return that folder. A folder already written with the same arguments is kept as is."""
    if train_per_class < 1 or test_per_class < 1:
        raise ValueError(f"need at least one image per class in each part, got {train_per_class}, {test_per_class}")
    folder = Path(root) / FOLDER
    stamp = json.dumps({"train_per_class": train_per_class, "test_per_class": test_per_class, "seed": seed})
    if (folder / STAMP).is_file() and (folder / STAMP).read_text().strip() == stamp:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    templates = _templates(rng)
    for name, per_class in (("train", train_per_class), ("test", test_per_class)):
        labels = rng.permutation(np.repeat(np.arange(FINE_CLASSES), per_class))
        (folder / name).write_bytes(pickle.dumps(_part(labels, templates, rng, name), protocol=2))
    meta = {
        "fine_label_names": [f"class{c:02d}" for c in range(FINE_CLASSES)],
        "coarse_label_names": [f"group{g:02d}" for g in range(COARSE_CLASSES)],
    }
    (folder / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    write_text(folder / STAMP, stamp + "\n")  # last: a folder killed half-way is rewritten next time
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m renyi_kd.data.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the folder to hold cifar-100-python/ (data.root)")
    parser.add_argument("--train-per-class", type=int, default=10, help="images per class in the train part")
    parser.add_argument("--test-per-class", type=int, default=2, help="images per class in the test part")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    folder = write_synthetic_cifar100(args.root, train_per_class=args.train_per_class,
                                      test_per_class=args.test_per_class, seed=args.seed)
    print(folder)


if __name__ == "__main__":
    main()
