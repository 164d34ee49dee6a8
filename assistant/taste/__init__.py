"""The listener's taste over time: listening history (store, import, signals) and affinity models."""
