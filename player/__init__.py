"""signage-player: an unattended player for outdoor information clusters."""

__version__ = "0.1.0"
