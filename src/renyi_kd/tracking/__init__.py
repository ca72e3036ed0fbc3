"""Tracking: MLflow runs found again by tags, and the optuna-dashboard view."""
