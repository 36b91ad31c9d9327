"""verl plugin: import this module in every verl process (``VERL_USE_EXTERNAL_MODULES``) to make
``actor_rollout_ref.rollout.name=hf`` (or its alias ``hf_cpu``) available (see
:mod:`recipe.asyppo.integration.hf_rollout`). :func:`recipe.asyppo.integration.launch.prepare` adds it to runs that
select that rollout.
"""

from recipe.asyppo.integration.hf_rollout import register_hf_rollout

register_hf_rollout()
