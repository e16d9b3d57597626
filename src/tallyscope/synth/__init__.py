"""Synthetic elections with known truth, and the calibration of every method on them."""

from tallyscope.synth.generate import Fraud, Heterogeneity, SynthElection, Truth, generate

__all__ = ["Fraud", "Heterogeneity", "SynthElection", "Truth", "generate"]
