"""Test helpers for tallyscope and for code built on it.

``tallyscope.testing.strategies`` holds Hypothesis strategies (Hypothesis is a test
dependency: install ``tallyscope[test]``). Nothing in the library imports this package.
"""
