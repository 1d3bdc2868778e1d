"""Test harness: a real Synapse homeserver run as a subprocess for the Matrix e2e tests."""
