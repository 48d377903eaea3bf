"""quiz: a command-line coach for machine-learning interviews."""

__version__ = "0.1.0"
