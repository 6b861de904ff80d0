"""Run-time security building blocks: path guard, limits, redaction, access control.

Each module is standalone; the engine wires them together from the project config.
"""
