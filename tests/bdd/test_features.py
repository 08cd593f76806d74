"""Every scenario in features/ runs here."""

from pytest_bdd import scenarios

scenarios(".")
