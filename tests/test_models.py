"""Models: the CIFAR architectures in timm's registry with the published sizes, and small-image stems."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import timm
import torch

from renyi_kd.models.factory import STEMS, check_stem, count_parameters, create_model, save_weights

# Parameters at 100 classes as the tables give them (CRD Table 1, in millions).
PUBLISHED_PARAMS = {
    "resnet8x4": 1.23,
    "resnet32x4": 7.43,
    "wrn_16_2": 0.70,
    "wrn_40_1": 0.57,
    "wrn_40_2": 2.26,
    "resnet20": 0.28,
    "resnet32": 0.47,
    "resnet56": 0.86,
    "resnet110": 1.74,
    "vgg8_cifar": 3.96,
    "vgg13_cifar": 9.46,
}
CIFAR_MODELS = timm.list_models(module="cifar")


def test_the_table_models_are_registered() -> None:
    assert sorted(CIFAR_MODELS) == sorted(PUBLISHED_PARAMS)


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_parameter_counts_match_the_tables(name: str) -> None:
    params = count_parameters(create_model(name, in_chans=3, num_classes=100))
    assert params / 1e6 == pytest.approx(PUBLISHED_PARAMS[name], rel=0.02)


def test_no_timm_model_is_overwritten() -> None:
    """Our names are free in timm itself (checked in a process that never imports renyi_kd)."""
    listed = subprocess.run(
        [sys.executable, "-c", "import timm; print('\\n'.join(timm.list_models()))"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    assert len(listed) > 1000 and not set(listed) & set(CIFAR_MODELS)
    assert "vgg13" in listed  # why the VGGs carry a _cifar suffix


@pytest.mark.parametrize("name", CIFAR_MODELS)
def test_cifar_models_run_the_timm_interface(name: str) -> None:
    model = create_model(name, in_chans=1, num_classes=7).eval()
    x = torch.randn(2, 1, 32, 32)
    assert model(x).shape == (2, 7)
    features = model.forward_features(x)
    assert features.shape[-1] >= 4  # a small-image model keeps a spatial map
    assert model.forward_head(features, pre_logits=True).shape == (2, model.num_features)
    model.reset_classifier(3)
    assert model(x).shape == (2, 3) and model.get_classifier().out_features == 3


def test_vgg_pools_a_64_px_input_once_more() -> None:
    model = create_model("vgg8_cifar", in_chans=3, num_classes=10).eval()
    assert model.forward_features(torch.randn(1, 3, 64, 64)).shape[-2:] == (4, 4)
    assert model.forward_features(torch.randn(1, 3, 32, 32)).shape[-2:] == (4, 4)


@pytest.mark.parametrize(("name", "imagenet_map", "small_map"), [("resnet18", 1, 4), ("test_resnet", 1, 4)])
def test_small_stem_keeps_a_4x4_map_on_32_px(name: str, imagenet_map: int, small_map: int) -> None:
    x = torch.randn(1, 3, 32, 32)
    for stem, size in (("imagenet", imagenet_map), ("small", small_map)):
        model = create_model(name, in_chans=3, num_classes=10, stem=stem).eval()
        assert model.forward_features(x).shape[-2:] == (size, size), stem
    small = create_model(name, in_chans=3, num_classes=10, stem="small")
    first = small.conv1[0] if isinstance(small.conv1, torch.nn.Sequential) else small.conv1
    assert first.kernel_size == (3, 3) and first.stride == (1, 1) and isinstance(small.maxpool, torch.nn.Identity)
    assert small.feature_info[-1]["reduction"] == 8


def test_small_stem_refuses_what_it_cannot_adapt() -> None:
    with pytest.raises(ValueError, match="cannot adapt 'mobilenetv3_small_050'.*ResNet family"):
        create_model("mobilenetv3_small_050", in_chans=3, num_classes=10, stem="small")
    with pytest.raises(ValueError, match="cannot adapt 'vit_base_patch16_224'"):
        check_stem("vit_base_patch16_224", "small")  # on the meta device: no 86M parameters allocated
    for name in ("resnet152", "seresnext26d_32x4d", "wrn_40_2"):
        check_stem(name, "small")
    with pytest.raises(ValueError, match="unknown stem 'tiny'.*imagenet, small"):
        create_model("resnet18", in_chans=3, num_classes=10, stem="tiny")
    assert set(STEMS) == {"imagenet", "small"}


def test_small_stem_model_starts_from_its_own_weights(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("test_resnet", in_chans=3, num_classes=10, stem="small")
    save_weights(model, tmp_path / "w.safetensors")
    torch.manual_seed(1)
    loaded = create_model("test_resnet", in_chans=3, num_classes=10, stem="small", pretrained_file=tmp_path / "w.safetensors")
    assert torch.equal(loaded.conv1[0].weight, model.conv1[0].weight) and loaded.conv1[0].stride == (1, 1)
    assert torch.equal(loaded.layer4[0].conv2.weight, model.layer4[0].conv2.weight)


def test_cifar_model_starts_from_a_file_with_other_inputs_and_classes(tmp_path: Path) -> None:
    torch.manual_seed(0)
    teacher = create_model("resnet20", in_chans=3, num_classes=100)
    save_weights(teacher, tmp_path / "w.safetensors")
    grey = create_model("resnet20", in_chans=1, num_classes=10, pretrained_file=tmp_path / "w.safetensors")
    torch.testing.assert_close(grey.conv1.weight[:, 0], teacher.conv1.weight.sum(dim=1))  # timm folds RGB into one
    assert torch.equal(grey.layer3[2].conv2.weight, teacher.layer3[2].conv2.weight) and grey.fc.out_features == 10
