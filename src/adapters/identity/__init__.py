"""Identity providers: OpenID Connect bearer tokens (JWTs) verified against the issuers' published keys."""
