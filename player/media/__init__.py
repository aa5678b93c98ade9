"""Looking inside media files without a screen: probing and decoding (PyAV, Pillow), checking.

Shared by `check`, `publish` and the renderer; nothing here imports pygame.
"""
