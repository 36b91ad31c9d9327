"""verl plugin: import this module in every verl process (``VERL_USE_EXTERNAL_MODULES``) so that critics load with
the configured attention implementation instead of verl's hard-coded flash-attention 2, and with a float32 value head
(see :mod:`recipe.asyppo.attention`). ``recipe.asyppo.main_asyppo`` adds it to every run.
"""

from recipe.asyppo.attention import install_value_model_loader

install_value_model_loader()
