"""The loaders of the built-in datasets, one module per file format (their records are in ``renyi_kd.data.catalog``).

Each loader is a :class:`renyi_kd.data.registry.Loader`: ``(root, *, image_size, download) -> ImageData``.
"""
