"""Installs src/ as one package, `undersign`: src/domain/ is undersign.domain, and so on.

Everything else about the distribution is in pyproject.toml; this file only says where the
packages are, which pyproject.toml cannot when a folder is installed under another name.
"""

from setuptools import find_packages, setup

setup(
    package_dir={"undersign": "src"},
    packages=["undersign", *(f"undersign.{package}" for package in find_packages("src"))],
)
