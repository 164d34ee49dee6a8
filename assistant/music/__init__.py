"""The music: what can be played (catalogue), what is wanted (constraints) and what fits (retrieval)."""
