"""One module per ``reductions`` subcommand; each defines ``register(parser)`` and ``run(args)``."""
