"""Decision: combine verified facts into allow/deny (or verified/failed), default deny."""
