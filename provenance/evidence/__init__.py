"""Evidence: strict parsing of untrusted files (bundles, envelopes, statements). Nothing here
is trusted; verification decides what holds."""
