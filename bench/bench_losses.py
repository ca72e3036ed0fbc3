"""Forward + backward time of renyi_divergence against the classic F.kl_div KD loss.

Usage: python bench/bench_losses.py [--batch 512] [--classes 1000] [--device cpu|cuda]
Goal: at most 1.5x the classic loss for alpha = 0.5 and 2. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch.utils import benchmark

from renyi_kd.losses import renyi_divergence


def classic_kd(z: torch.Tensor, v: torch.Tensor, temperature: float) -> torch.Tensor:
    return F.kl_div(F.log_softmax(z / temperature, -1), F.softmax(v / temperature, -1), reduction="batchmean")


def renyi_kd(z: torch.Tensor, v: torch.Tensor, temperature: float, alpha: float) -> torch.Tensor:
    return renyi_divergence(v, z, alpha, temperature).mean()


def time_forward_backward(fn, z: torch.Tensor, v: torch.Tensor, **kwargs) -> float:
    """Median seconds of one forward + backward pass."""
    timer = benchmark.Timer(
        stmt="fn(z, v, **kwargs).backward()",
        globals={"fn": fn, "z": z, "v": v, "kwargs": kwargs},
    )
    return timer.blocked_autorange(min_run_time=2.0).median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    g = torch.Generator().manual_seed(0)
    v = (3 * torch.randn(args.batch, args.classes, generator=g)).to(args.device)
    noise = torch.randn(args.batch, args.classes, generator=g).to(args.device)
    print(f"device={args.device} logits=[{args.batch}, {args.classes}] T={args.temperature} threads={torch.get_num_threads()}")
    # Two regimes: unrelated logits (large divergences: the logsumexp form) and a student close to its teacher
    # (|log Z| < 1/2: the log1p/expm1 form that keeps alpha -> 1 accurate; the usual case late in training).
    for regime, scale in (("unrelated logits", 3.0), ("student close to teacher", 0.3)):
        z = (v + scale * noise).requires_grad_() if scale < 1 else (scale * noise).requires_grad_()
        base = time_forward_backward(classic_kd, z, v, temperature=args.temperature)
        print(f"\n{regime}\n{'loss':<22}{'ms / fwd+bwd':>14}{'ratio':>8}")
        print(f"{'F.kl_div (classic)':<22}{base * 1e3:>14.3f}{1.0:>8.2f}")
        for alpha in (0.5, 1.0, 2.0):
            t = time_forward_backward(renyi_kd, z, v, temperature=args.temperature, alpha=alpha)
            print(f"{'renyi alpha=' + str(alpha):<22}{t * 1e3:>14.3f}{t / base:>8.2f}")


if __name__ == "__main__":
    main()
