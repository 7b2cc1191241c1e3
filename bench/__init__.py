"""Benchmarks behind ``make bench``: scripts that print figures against SPEC section 7.

They are not tests: nothing here asserts. Each benchmark prints a short report (the figure,
the target, a ratio against a baseline measured in the same run where the spec asks for
one) and one machine-readable ``BENCH {...}`` line. ``python -m bench --list`` names them.
"""
