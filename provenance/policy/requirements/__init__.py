"""What a segment's `require` may ask of an artifact, as the policy stage reads it: values
parsed and checked when the policy loads (component patterns, licence names)."""
