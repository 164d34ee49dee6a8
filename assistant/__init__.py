"""Dialogue: catalogue, state, actions, policies, phrasing, manager, logging, offline learning, UI."""
