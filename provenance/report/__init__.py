"""Record and report: renderers for people and machines."""
