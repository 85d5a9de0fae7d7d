"""Benchmarks of the portal at national scale (issue 9): pages, the deadline sweep and recomputing ratings.

Run through ``python manage.py benchmark`` (see ``docs/benchmarks.md``). Each measures the portal beside a floor
measured in the same run on the same data (a trivial view, a single SQL UPDATE, a plain aggregate query), because
absolute numbers on a shared machine move from run to run and the ratio is the figure we track.
"""
