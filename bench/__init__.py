"""Measurements of the project (run with `make bench` or `.venv/bin/python bench/run.py`)."""
