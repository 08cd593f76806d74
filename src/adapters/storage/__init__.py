"""Where document bytes live: the filesystem now, S3-compatible stores later."""
