"""The billing backend: no Flask here. The web layer calls `service`."""
