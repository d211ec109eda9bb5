"""Vectors, matrices and indexed families: nodes (``ir``), building with shapes checked
(``build``) and checking (``engine``). See docs/vectors.md."""
