"""The engine, a package per stage: music (catalogue, retrieval), taste (listening history), dialogue (one
conversation), policies (which prompt next), logs (what happened), learning (new policies from the logs).
`events` is the one stream of typed events they all speak."""
