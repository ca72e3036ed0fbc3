"""Data: dataset records and loaders, splits, augmentation, device batches, fingerprints."""
