"""The course theorem library (``theorems/``): loading, citation, self-check, index."""
