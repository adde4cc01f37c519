"""One module per ``milpinv`` subcommand; each defines ``register(subparsers)``."""
