"""Everything that touches pygame or PyAV. Only the main thread calls into this package's drawing."""
