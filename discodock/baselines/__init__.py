"""Baselines the docking model is measured against (AutoDock Vina)."""
