"""Open, click and attachment tracking: compose, tokens, hits, classification and counts."""
