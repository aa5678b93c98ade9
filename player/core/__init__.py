"""Pure domain logic: configuration, playlists, schedules, manifests. No pygame, requests or psutil."""
