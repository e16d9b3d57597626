"""Forensic methods, one module per family; each returns a typed result."""

from tallyscope.methods.digits import DigitsResult, digit_tests
from tallyscope.methods.evoting import EvoteResult, evote
from tallyscope.methods.fingerprints import (
    FingerprintResult,
    HistogramsResult,
    fingerprint,
    histograms,
)
from tallyscope.methods.integer_peaks import IntegerPeaksResult, integer_peaks
from tallyscope.methods.ranking import RankingResult, rank
from tallyscope.methods.regression import TurnoutShareResult, turnout_share
from tallyscope.methods.shpilkin import (
    AnomalousVotesResult,
    TurnoutCurves,
    anomalous_votes,
    turnout_curves,
)
from tallyscope.methods.spikes import SpikesResult, spikes

__all__ = [
    "AnomalousVotesResult",
    "DigitsResult",
    "EvoteResult",
    "FingerprintResult",
    "HistogramsResult",
    "IntegerPeaksResult",
    "RankingResult",
    "SpikesResult",
    "TurnoutCurves",
    "TurnoutShareResult",
    "anomalous_votes",
    "digit_tests",
    "evote",
    "fingerprint",
    "histograms",
    "integer_peaks",
    "rank",
    "spikes",
    "turnout_curves",
    "turnout_share",
]
