"""The OpenAI-compatible face at /api/v1/openai: an OpenAI SDK pointed here runs deployments by name."""
