"""Fashion-MNIST: the official parts from the four IDX files, a broken file refused before any training
(naming the file), and the real files of Debian's dataset-fashion-mnist where the package is installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from renyi_kd.config import ConfigError, validate_config
from renyi_kd.data import DATASETS, load_dataset
from renyi_kd.data.idx import IdxError
from renyi_kd.data.loaders.fashion_mnist import FILES
from test_data import tiny_fashion_mnist

ROOT = Path(__file__).resolve().parents[1]
DEBIAN = Path(DATASETS["fashion_mnist"].default_root)


def test_the_official_test_part_comes_last(tmp_path: Path) -> None:
    data = load_dataset("fashion_mnist", root=tiny_fashion_mnist(tmp_path))
    assert (len(data), data.official_test, data.num_classes, data.classes[9]) == (40, 10, 10, "Ankle boot")


@pytest.mark.parametrize("name", [name for pair in FILES for name in pair])
@pytest.mark.parametrize("damage", ["truncated", "bytes flipped", "missing"])
def test_a_broken_file_is_refused_naming_it(tmp_path: Path, name: str, damage: str) -> None:
    root = tiny_fashion_mnist(tmp_path)
    path = root / name
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) * 2 // 3])
    elif damage == "bytes flipped":
        path.write_bytes(raw[:12] + bytes(b ^ 0x5A for b in raw[12:40]) + raw[40:])
    else:
        path.unlink()
    with pytest.raises(IdxError, match=str(path)):
        load_dataset("fashion_mnist", root=root)


def test_images_and_labels_of_different_counts_are_refused(tmp_path: Path) -> None:
    from renyi_kd.data.idx import write_idx

    root = tiny_fashion_mnist(tmp_path)
    write_idx(root / FILES[1][1], np.zeros(9))
    with pytest.raises(IdxError, match=str(root / FILES[1][0])):
        load_dataset("fashion_mnist", root=root)


def test_a_missing_folder_is_refused_by_the_config_check_with_the_way_to_get_it(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["data"] = {"name": "fashion_mnist", "root": str(tmp_path / "absent")}
    with pytest.raises(ConfigError, match="data.root.*folder not found.*dataset-fashion-mnist"):
        validate_config(config)


@pytest.mark.skipif(not DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist is not installed (make datasets)")
def test_the_debian_package_holds_the_official_60000_and_10000_images() -> None:
    data = load_dataset("fashion_mnist")
    assert (len(data), data.official_test) == (70000, 10000)
    assert np.bincount(data.targets).tolist() == [7000] * 10
    x, _ = data[0]
    assert x.shape == (1, 28, 28)
