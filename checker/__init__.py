"""proofcheck: checks stepwise proof sketches for a course on the theory of deep learning."""

__version__ = "0.1.0"
