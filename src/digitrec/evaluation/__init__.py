"""Scoring: metrics and plots, the generated realistic set, and real folders laid out like realworld-dev."""
