"""The CIFAR architectures of the distillation tables (CRD Table 1, mdistiller), registered in timm's registry.

Definitions follow RepDistiller (Tian et al. 2020, github.com/HobbitLong/RepDistiller, ``models/``), whose
models mdistiller reuses; all have a 3x3 stride-1 stem and end in a global average pool and one linear layer:

- ``resnet{depth}`` (depth = 6n + 2) and ``resnet8x4`` / ``resnet32x4``: a 3x3 stem, then three stages of n
  basic blocks (timm's ``BasicBlock``) at strides 1, 2, 2; widths 16-16-32-64, or 32-64-128-256 for the x4 models.
- ``wrn_{depth}_{k}`` (depth = 6n + 4): Zagoruyko and Komodakis' wide ResNet, pre-activation blocks of widths
  16k, 32k, 64k.
- ``vgg{8,13}_cifar``: VGG with batch norm (RepDistiller's ``vgg8`` and ``vgg13`` are its ``vgg8_bn`` and
  ``vgg13_bn``), no fully connected layers but the classifier.

Names are the published ones, except where timm already holds the name: timm's ``vgg11``-``vgg19`` are the
ImageNet VGGs, so the CIFAR VGG family is registered with a ``_cifar`` suffix (``vgg8_cifar``, ``vgg13_cifar``).
:data:`ARCHITECTURES` is the registry: a new model is one record there. Importing this module
(``import renyi_kd.models.factory`` does) registers them; ``timm.create_model(name,
num_classes=..., in_chans=...)`` builds them, with 100 classes by default (CIFAR-100), and
``timm.list_models(module="cifar")`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch.nn.functional as F
from timm.layers import create_classifier
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models.resnet import BasicBlock, downsample_conv
from torch import Tensor, nn

__all__ = ["ARCHITECTURES", "Architecture", "CifarNet", "CifarResNet", "CifarVGG", "WideResNet"]


class CifarNet(nn.Module):
    """A backbone with timm's classifier interface: global pool, linear ``fc``, ``reset_classifier``.

    Subclasses build their layers, then call :meth:`_init_head` with the backbone's output channels.
    """

    def _init_head(self, num_features: int, num_classes: int, global_pool: str) -> None:
        self.num_classes = num_classes
        self.num_features = self.head_hidden_size = num_features
        self.global_pool, self.fc = create_classifier(num_features, num_classes, pool_type=global_pool)

    def forward_features(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = self.global_pool(x)
        return x if pre_logits else self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Module:
        return self.fc

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        self._init_head(self.num_features, num_classes, global_pool or self.global_pool.pool_type)


def _init_weights(model: nn.Module, linear: Callable[[nn.Linear], None] | None = None) -> None:
    """RepDistiller's initialisation: He-normal convolutions (fan-out), unit batch norms, zero conv biases;
    ``linear`` initialises the classifier where the model's definition does (default: PyTorch's)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear) and linear is not None:
            linear(module)


class CifarResNet(CifarNet):
    """RepDistiller's CIFAR ResNet: 3x3 stem of ``widths[0]`` channels, three stages of ``(depth - 2) / 6`` basic
    blocks of ``widths[1:]`` channels at strides 1, 2, 2 (1x1-conv + BN shortcuts where the shape changes)."""

    def __init__(
        self, depth: int, widths: Sequence[int], num_classes: int = 100, in_chans: int = 3, global_pool: str = "avg"
    ) -> None:
        super().__init__()
        if (depth - 2) % 6 or len(widths) != 4:
            raise ValueError(f"a CIFAR ResNet needs depth 6n + 2 and 4 widths, got depth {depth}, widths {widths}")
        blocks = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_chans, widths[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.act1 = nn.ReLU(inplace=True)
        inplanes = widths[0]
        for number, (planes, stride) in enumerate(zip(widths[1:], (1, 2, 2)), start=1):
            layers = []
            for block in range(blocks):
                step = stride if block == 0 else 1
                shortcut = downsample_conv(inplanes, planes, 1, stride=step) if step != 1 or inplanes != planes else None
                layers.append(BasicBlock(inplanes, planes, step, shortcut))
                inplanes = planes
            self.add_module(f"layer{number}", nn.Sequential(*layers))
        self._init_head(inplanes, num_classes, global_pool)
        _init_weights(self)

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        return self.layer3(self.layer2(self.layer1(x)))


class _WideBlock(nn.Module):
    """Pre-activation block: BN-ReLU-conv3x3 (stride)-BN-ReLU-conv3x3, added to the input, or to a 1x1
    convolution of the activated input where the width changes (RepDistiller's ``wrn.BasicBlock``)."""

    def __init__(self, in_planes: int, out_planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, kernel_size=3, padding=1, bias=False)
        self.shortcut = (
            None if in_planes == out_planes else nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)
        )

    def forward(self, x: Tensor) -> Tensor:
        activated = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(activated))))
        return out + (x if self.shortcut is None else self.shortcut(activated))


class WideResNet(CifarNet):
    """WRN-depth-k: 3x3 stem of 16 channels, three stages of ``(depth - 4) / 6`` pre-activation blocks of 16k,
    32k, 64k channels at strides 1, 2, 2, then BN-ReLU."""

    def __init__(
        self, depth: int, widen_factor: int, num_classes: int = 100, in_chans: int = 3, global_pool: str = "avg"
    ) -> None:
        super().__init__()
        if (depth - 4) % 6:
            raise ValueError(f"a wide ResNet needs depth 6n + 4, got {depth}")
        blocks = (depth - 4) // 6
        self.conv1 = nn.Conv2d(in_chans, 16, kernel_size=3, padding=1, bias=False)
        inplanes = 16
        for number, (planes, stride) in enumerate(zip((16, 32, 64), (1, 2, 2)), start=1):
            planes *= widen_factor
            layers = [_WideBlock(inplanes if b == 0 else planes, planes, stride if b == 0 else 1) for b in range(blocks)]
            self.add_module(f"block{number}", nn.Sequential(*layers))
            inplanes = planes
        self.bn1 = nn.BatchNorm2d(inplanes)
        self._init_head(inplanes, num_classes, global_pool)
        _init_weights(self, linear=lambda fc: nn.init.zeros_(fc.bias))

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return F.relu(self.bn1(x))


# RepDistiller's VGG configurations: output channels of the 3x3 convolutions in each of the five blocks.
VGG_BLOCKS = {
    "S": ((64,), (128,), (256,), (512,), (512,)),
    "B": ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
}


class CifarVGG(CifarNet):
    """VGG with batch norm: five blocks of conv3x3-BN-ReLU, a 2x2 max-pool after each of the first three, and
    after the fourth only while the map is larger than 4x4 (RepDistiller pools there for 64-px inputs only)."""

    def __init__(
        self, blocks: Sequence[Sequence[int]], num_classes: int = 100, in_chans: int = 3, global_pool: str = "avg"
    ) -> None:
        super().__init__()
        channels = in_chans
        for number, widths in enumerate(blocks):
            layers: list[nn.Module] = []
            for width in widths:
                layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                channels = width
            self.add_module(f"block{number}", nn.Sequential(*layers))
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self._init_head(channels, num_classes, global_pool)
        _init_weights(self, linear=_small_normal)

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.pool(self.block2(self.pool(self.block1(self.pool(self.block0(x))))))
        x = self.block3(x)
        if x.shape[-1] > 4:
            x = self.pool(x)
        return self.block4(x)


def _small_normal(fc: nn.Linear) -> None:
    nn.init.normal_(fc.weight, 0, 0.01)
    nn.init.zeros_(fc.bias)


@dataclass(frozen=True)
class Architecture:
    """One registered model: its class, the class's arguments and its first convolution (for timm to adapt a
    weights file to other input channels)."""

    cls: type[CifarNet]
    args: dict[str, Any]
    first_conv: str = "conv1"


_RESNET, _RESNET_X4 = (16, 16, 32, 64), (32, 64, 128, 256)
ARCHITECTURES = {
    "resnet20": Architecture(CifarResNet, {"depth": 20, "widths": _RESNET}),
    "resnet32": Architecture(CifarResNet, {"depth": 32, "widths": _RESNET}),
    "resnet56": Architecture(CifarResNet, {"depth": 56, "widths": _RESNET}),
    "resnet110": Architecture(CifarResNet, {"depth": 110, "widths": _RESNET}),
    "resnet8x4": Architecture(CifarResNet, {"depth": 8, "widths": _RESNET_X4}),
    "resnet32x4": Architecture(CifarResNet, {"depth": 32, "widths": _RESNET_X4}),
    "wrn_16_2": Architecture(WideResNet, {"depth": 16, "widen_factor": 2}),
    "wrn_40_1": Architecture(WideResNet, {"depth": 40, "widen_factor": 1}),
    "wrn_40_2": Architecture(WideResNet, {"depth": 40, "widen_factor": 2}),
    "vgg8_cifar": Architecture(CifarVGG, {"blocks": VGG_BLOCKS["S"]}, "block0.0"),
    "vgg13_cifar": Architecture(CifarVGG, {"blocks": VGG_BLOCKS["B"]}, "block0.0"),
}

# No weights to download: what timm needs to adapt a local weights file (first conv, classifier).
default_cfgs = generate_default_cfgs(
    {
        name: {"num_classes": 100, "input_size": (3, 32, 32), "first_conv": arch.first_conv, "classifier": "fc"}
        for name, arch in ARCHITECTURES.items()
    }
)


def _entrypoint(name: str, arch: Architecture) -> Callable[..., CifarNet]:
    """A timm model entrypoint named ``name`` (timm registers an entrypoint under its ``__name__``)."""

    def create(pretrained: bool = False, **kwargs: Any) -> CifarNet:
        return build_model_with_cfg(arch.cls, name, pretrained, **arch.args, **kwargs)

    create.__name__ = create.__qualname__ = name
    create.__module__ = __name__
    create.__doc__ = f"{name}: {arch.cls.__name__}({', '.join(f'{k}={v}' for k, v in arch.args.items())})"
    return create


for _name, _arch in ARCHITECTURES.items():
    globals()[_name] = register_model(_entrypoint(_name, _arch))
