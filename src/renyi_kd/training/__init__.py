"""Training: the loop, optimisers, runtime, the teacher and student stages, teacher outputs, predictions."""
