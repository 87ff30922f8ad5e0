"""Neural models, trained globally over every series of a frame: the windowed base
(:mod:`~forecast.models.neural.windowed`) over sliding windows
(:mod:`~forecast.models.neural.windows`) and one training loop
(:mod:`~forecast.models.neural.training`); recurrent nets, the Echo State Network, the hybrid,
the ensemble and the pretrained network with its weights."""
