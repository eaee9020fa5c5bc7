"""MCSec: conformance suite for MCPTT SIP signalling protection."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mcsec")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
