"""The ``tallyscope`` command line: thin wrappers around the public API.

Each module registers its commands on the one Typer ``app`` of ``_common``.
"""

import tallyscope.cli.publish  # noqa: F401  (registers report, compare, plot)
from tallyscope.cli import analysis, data, models, synthetic  # noqa: F401  (registers the commands)
from tallyscope.cli._common import app

__all__ = ["app", "main"]


def main() -> None:
    app()
