"""Transparency-log building blocks shared by the Sigstore verifier and the site's audit log.

- `merkle`: RFC 6962 / 9162 hashing, inclusion and consistency proofs (no dependency).
- `checkpoint`: the C2SP tlog-checkpoint signed note: parse and format (no dependency).
- `note_keys`: signed-note key hints, signing and verifying with site keys (`cryptography`).
- `inclusion`: a record's place in a signed log, as a VSA carries it.
"""
