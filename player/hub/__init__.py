"""The centre's hub: serves channels, receives heartbeats, shows the fleet."""
