"""StableFace reference generator (Ling et al., arXiv:2208.13717)."""
