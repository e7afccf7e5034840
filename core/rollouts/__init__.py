"""Gradual rollouts: assignment, guardrails, stages and settings, as pure logic (no database, clock or network)."""
