"""Centre side of content distribution: keys, signatures and publishing channels."""
