"""Models: the timm factory with small-image stems, the CIFAR architectures, checkpoints."""
