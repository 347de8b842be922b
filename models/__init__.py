"""Mogi's PyTorch side: the experiment catalogue (torch-free), networks, data and training loop."""

import warnings

# torch warns on import that numpy is absent; Mogi does not use numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
