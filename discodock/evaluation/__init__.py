"""Evaluation harness: symmetry RMSD, success metrics, dataset layouts, novelty and validity checks."""
