"""Tuning: the shared start-up design, the Optuna study and the tune stage."""
