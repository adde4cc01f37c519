"""Analyses of an instance beyond one answer: the pre-image set (:mod:`.preimage`)."""
