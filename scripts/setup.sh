#!/bin/sh
# Set up a development environment: a virtual environment in .venv with tallyscope and its
# test tools, and (where this machine can install Debian packages) headless Chromium for the
# report's browser test. Safe to run again.
set -e
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet -e ".[test]"
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium for the report's browser test (skipped if it fails)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "chromium not installed: the browser test will be skipped"
fi
