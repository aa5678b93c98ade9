"""Sub-commands of `signage-player`, one module each (see player/cli.py)."""
