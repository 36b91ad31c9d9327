"""verl plugin: import this module in every verl process (``VERL_USE_EXTERNAL_MODULES``) so that critics load with
the configured attention implementation instead of verl's hard-coded flash-attention 2 (see
:mod:`recipe.asyppo.attention`). ``recipe.asyppo.main_asyppo`` adds it when a critic is not on flash-attention 2.
"""

from recipe.asyppo.attention import install_value_model_loader

install_value_model_loader()
