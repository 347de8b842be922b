"""Fitting a user's FSRS weights to their own review log ("optimise my parameters").

The web process takes a snapshot of the user's scheduled grades and queues it as a job on the
demo queue (kind `fsrs-optimisation`, never listed as a demo run); `mogi worker` runs fsrs's
optimiser on it (job.py: torch and pandas, worker only) and stores the fitted weights with the
log loss of the current and the fitted ones. The user then adopts them (they go into
PracticeSettings.fsrs_parameters) or discards them.
"""
