"""One module per experiment, each defining `EXPERIMENT`; models.catalog finds them all.

A module here must import without torch (the web process reads the declarations): its run
function imports torch and models.runner inside its body. Modules whose name starts with `_`
hold shared pieces and are not experiments.
"""
