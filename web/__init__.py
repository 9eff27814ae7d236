"""Plumbing every resource shares: API setup, pagination, tokens, rate limits, request log, security
headers and the docs page."""
