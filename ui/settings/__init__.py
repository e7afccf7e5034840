"""The Settings page's panels: providers, API keys, users."""
