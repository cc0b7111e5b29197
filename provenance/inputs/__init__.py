"""Inputs: the files and digests the user hands in, read safely."""
