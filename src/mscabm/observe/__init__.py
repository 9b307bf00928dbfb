"""Observation: readouts, reporters and output files."""
