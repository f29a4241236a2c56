"""Stand-in for C/market_intelligence (only what the adapters touch)."""
