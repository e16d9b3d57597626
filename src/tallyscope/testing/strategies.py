"""Hypothesis strategies for elections whose protocols are always valid.

``elections()`` draws, station by station, the registered voters, then the turnout (ballots
issued), then the ballots cast and the invalid ones, then the votes of each party, so every
station satisfies the identities of a clean protocol (party votes sum to valid, valid +
invalid = cast <= issued <= registered) and no station is flagged. The values are drawn next to
the values they depend on, so failing examples shrink to small, readable elections::

    from hypothesis import given
    from tallyscope.testing.strategies import elections

    @given(elections(stations=st.integers(1, 10)))
    def test_something(election): ...

Hypothesis is needed only here: install ``tallyscope[test]``.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import strategies as st

from tallyscope.model import Election, ElectionInfo, build_election
from tallyscope.model.schema import RESERVED

__all__ = ["elections", "party_names", "protocols"]

_NAME_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ абвгдежзиклмнопрстуфхцчшэюя"
_STATIONS = st.integers(1, 40)
_REGIONS = st.integers(1, 4)
_REGISTERED = st.integers(0, 3_000)
_TURNOUT = st.floats(0.0, 1.0)
_INVALID_SHARE = st.floats(0.0, 0.1)


def party_names(
    *, min_size: int = 1, max_size: int = 6, alphabet: str = _NAME_ALPHABET
) -> st.SearchStrategy[list[str]]:
    """Distinct party names: letters and inner spaces, none a reserved column name."""
    name = (
        st.text(alphabet=alphabet, min_size=1, max_size=12)
        .map(lambda s: " ".join(s.split()))
        .filter(lambda s: bool(s) and s not in RESERVED)
    )
    return st.lists(name, min_size=min_size, max_size=max_size, unique_by=str.casefold)


@st.composite
def protocols(
    draw: st.DrawFn,
    n_parties: int,
    *,
    registered: st.SearchStrategy[int] = _REGISTERED,
    turnout: st.SearchStrategy[float] = _TURNOUT,
    invalid_share: st.SearchStrategy[float] = _INVALID_SHARE,
) -> dict[str, Any]:
    """One station's protocol: ``registered``, ``issued``, ``cast``, ``valid``, ``invalid``
    and ``votes`` (a list of ``n_parties`` counts summing to ``valid``)."""
    v = draw(registered)
    issued = round(v * draw(turnout))
    cast = issued - draw(st.integers(0, min(issued, 3)))  # a few ballots taken home
    invalid = min(cast, round(cast * draw(invalid_share)))
    valid = cast - invalid
    votes = []
    left = valid
    for _ in range(n_parties - 1):
        share = draw(st.integers(0, left))
        votes.append(share)
        left -= share
    votes.append(left)
    return {
        "registered": v,
        "issued": issued,
        "cast": cast,
        "valid": valid,
        "invalid": invalid,
        "votes": votes,
    }


@st.composite
def elections(
    draw: st.DrawFn,
    *,
    stations: st.SearchStrategy[int] = _STATIONS,
    parties: st.SearchStrategy[list[str]] | None = None,
    regions: st.SearchStrategy[int] = _REGIONS,
    registered: st.SearchStrategy[int] = _REGISTERED,
    turnout: st.SearchStrategy[float] = _TURNOUT,
    invalid_share: st.SearchStrategy[float] = _INVALID_SHARE,
    info: ElectionInfo | None = None,
) -> Election:
    """An :class:`Election` of always-valid protocols, built with
    :func:`tallyscope.model.build_election` (so kinds ``zero`` appear where a station has no
    voters or no ballots).

    Stations are keyed by ``region`` (``"R1"`` ...) and ``station`` (``"1"``, ``"2"`` ...,
    unique); every count is drawn per station in the order registered -> issued -> cast ->
    invalid -> votes of each party.
    """
    names = draw(parties if parties is not None else party_names())
    n = draw(stations)
    k = draw(regions)
    columns: dict[str, list[Any]] = {
        "region": [],
        "station": [],
        "registered": [],
        "issued": [],
        "cast": [],
        "valid": [],
        "invalid": [],
    }
    votes: list[list[int]] = [[] for _ in names]
    for number in range(1, n + 1):
        columns["region"].append(f"R{draw(st.integers(1, k))}")
        columns["station"].append(str(number))
        protocol = draw(
            protocols(
                len(names), registered=registered, turnout=turnout, invalid_share=invalid_share
            )
        )
        for role in ("registered", "issued", "cast", "valid", "invalid"):
            columns[role].append(protocol[role])
        for party, count in zip(votes, protocol["votes"], strict=True):
            party.append(count)
    frame = pl.DataFrame(
        {
            c: pl.Series(c, v, dtype=pl.String if c in ("region", "station") else pl.Int64)
            for c, v in columns.items()
        }
    ).with_columns(pl.Series(name, v, dtype=pl.Int64) for name, v in zip(names, votes, strict=True))
    info = info or ElectionInfo(
        country="XX", date="2000-01-01", kind="synthetic", name="Hypothesis election"
    )
    return build_election(frame, names, info, source="<hypothesis>")
