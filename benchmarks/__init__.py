"""Benchmarks (not part of `make test`): `make bench` prints the figures recorded in docs/benchmarks.md."""
