"""Sigstore bundle verification, offline, against an injected trust root and clock."""
