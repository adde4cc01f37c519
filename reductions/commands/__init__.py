"""One module per ``reductions`` subcommand; each defines ``register(subparsers)``."""
