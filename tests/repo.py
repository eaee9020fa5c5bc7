"""Where the checkout is, for tests that read its files (examples/, docs/) or run from it."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
