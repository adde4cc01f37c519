"""Sound bounds on every pre-activation: interval arithmetic (:mod:`.interval`) and LP-based
tightening over a relaxation with the observation rows (:mod:`.obbt`)."""
