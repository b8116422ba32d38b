"""The StableFace networks, one module each (PyTorch)."""
