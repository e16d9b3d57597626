"""Build the bundled elections from the source files.

    python scripts/build_datasets.py [--source ../shared/data] [--only ID ...]

Reads each source listed in ``tallyscope.datasets.catalogue``, writes
``src/tallyscope/datasets/data/<id>.parquet`` and records in ``registry.json`` the SHA-256 of
the source files and of the Parquet file, the row count and the tallyscope version.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import tallyscope
from tallyscope.datasets import DATA_DIR, REGISTRY_FILE
from tallyscope.datasets.catalogue import CATALOGUE, DatasetSpec
from tallyscope.io import read, write_election
from tallyscope.model import ElectionInfo, combine

ROOT = Path(__file__).resolve().parents[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(spec: DatasetSpec, source: Path) -> dict:
    files = [source / f for f in spec.files]
    info = {
        "id": spec.id,
        "country": spec.country,
        "date": spec.date,
        "kind": spec.kind,
        "name": spec.name,
        "source": spec.source,
        "leader": spec.leader,
    }
    format_ = {"cec": "russia-cec"}.get(spec.loader, spec.loader)
    parts = [read(f, format=format_, info=info, **spec.loader_options) for f in files]
    election = parts[0]
    provenance = {
        "files": [{"file": f.name, "sha256": _sha256(f)} for f in files],
        "licence": spec.licence,
        "built_with": f"tallyscope {tallyscope.__version__}",
        "columns": dict(election.info.provenance.get("columns", {})),
        "ignored_columns": list(election.info.provenance.get("ignored_columns", [])),
        "derived": dict(election.info.provenance.get("derived", {})),
    }
    if spec.notes:
        provenance["notes"] = spec.notes
    final_info = ElectionInfo(**{**info, "leader": election.leader, "provenance": provenance})
    election = (
        combine(parts, final_info)
        if len(parts) > 1
        else election.with_info(provenance=provenance, leader=election.leader)
    )
    target = DATA_DIR / f"{spec.id}.parquet"
    write_election(election, target)
    return {
        "file": target.name,
        "sha256": _sha256(target),
        "bytes": target.stat().st_size,
        "rows": len(election),
        "sources": provenance["files"],
        "licence": spec.licence,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    records = json.loads(REGISTRY_FILE.read_text())["datasets"] if REGISTRY_FILE.exists() else {}
    for spec in CATALOGUE.values():
        if args.only and spec.id not in args.only:
            continue
        records[spec.id] = build(spec, args.source)
        print(
            f"{spec.id}: {records[spec.id]['rows']:,} rows, {records[spec.id]['bytes'] / 1e6:.2f} MB"
        )
        for extra in {Path(f).parent for f in spec.files}:
            licence = args.source / extra / "LICENSE"
            if licence.exists():
                shutil.copyfile(licence, DATA_DIR / f"LICENSE-{extra.name}")
    records = {k: records[k] for k in CATALOGUE if k in records}
    REGISTRY_FILE.write_text(json.dumps({"datasets": records}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
