"""Benchmarks: each ``bench_*.py`` module has ``main() -> None`` that prints medians and
ratios against an anchor measured side by side in the same run. Never pass/fail."""
