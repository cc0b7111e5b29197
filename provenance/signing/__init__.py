"""Signing: the site's and its staff's keys, and the statements they sign (approvals, VSAs)."""
