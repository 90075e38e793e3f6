"""Idempotency keys for the API's POST requests (§11): the same `Idempotency-Key` from the
same caller returns the first response and changes nothing more."""
