"""Experiments: benchmark suites, the runner behind `milpinv bench`, plots and the demo."""
