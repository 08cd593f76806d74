"""Emails to recipients: the message builder, an SMTP mailer, a file mailer for development, and the templates."""
