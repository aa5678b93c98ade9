"""Player side of content distribution: pull, verify, store and switch releases."""
