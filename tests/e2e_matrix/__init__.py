"""End-to-end tests against a real Synapse homeserver (see docs/testing-matrix.md)."""
