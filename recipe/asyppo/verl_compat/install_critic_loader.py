"""verl plugin: importing this module installs the critic loader of :mod:`recipe.asyppo.verl_compat.critic_loader`.

``recipe.asyppo.main_asyppo`` names it in ``VERL_USE_EXTERNAL_MODULES`` for every run (AsyPPO and stock), so that in
every verl process critics load with the configured attention implementation instead of verl's hard-coded
flash-attention 2, and compute their value head in float32.
"""

from recipe.asyppo.verl_compat.critic_loader import install_value_model_loader

install_value_model_loader()
