"""renyi-kd: knowledge distillation with Rényi divergences of order alpha, benchmarked fairly."""

from renyi_kd.losses import DistillationLoss, distillation_loss, kd_loss, renyi_divergence

__all__ = ["DistillationLoss", "distillation_loss", "kd_loss", "renyi_divergence"]
__version__ = "0.1.0"
