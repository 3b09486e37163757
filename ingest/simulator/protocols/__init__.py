"""One module per platform protocol the simulator serves."""
