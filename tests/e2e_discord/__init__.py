"""End-to-end tests of Discord behaviour, run against the loopback Discord."""
