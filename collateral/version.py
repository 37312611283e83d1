"""The release of collateral this is; CHANGELOG.md has an entry for each."""

__version__ = "0.1.0"
