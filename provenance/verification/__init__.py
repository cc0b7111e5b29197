"""Verification: turns evidence into facts only after the cryptography holds."""
