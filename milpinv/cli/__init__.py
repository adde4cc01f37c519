"""The ``milpinv`` command line (:mod:`.main`); one module per subcommand."""
