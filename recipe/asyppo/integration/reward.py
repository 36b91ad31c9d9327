"""Where the project's math reward function lives, for verl's ``reward.custom_reward_function.path``.

verl loads a custom reward function by file path; the file is the installed ``rewards/verl_reward.py``
(``compute_score``). Found without importing it, so this module stays light (the CPU overrides CLI uses it).
"""

from __future__ import annotations

import importlib.util

REWARD_MODULE = "rewards.verl_reward"
REWARD_FUNCTION_NAME = "compute_score"


def reward_function_path() -> str:
    """File path of the installed ``rewards/verl_reward.py``.

    Raises:
        FileNotFoundError: the module is not installed (the message says how to fix it).
    """
    spec = importlib.util.find_spec(REWARD_MODULE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"cannot find module {REWARD_MODULE}; install the project (pip install -e .) or set "
            "reward.custom_reward_function.path")
    return spec.origin
