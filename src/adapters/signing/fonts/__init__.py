"""The font files Undersign ships (package data): see README.md here for their origin and licence."""
