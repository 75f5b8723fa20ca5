"""The staff web UI for cases. Views parse and render; rules live in actions and selectors."""
