"""Webhook deliveries over HTTP: which targets are allowed, and the signed POST (Standard Webhooks)."""
