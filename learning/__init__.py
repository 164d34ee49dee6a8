"""Offline learning and evaluation of the dialogue policy from logged conversations."""
