"""Use cases of Undersign, the ports they need, and the unit of work. Imports only the domain."""
