"""always/always: fires for every image (used to deny images by mapping)."""

from ..model import Rule
from ..params import Params
from . import Translation, translator


@translator("always", "always")
def always(rule: Rule) -> Translation:
    Params(rule, ())
    return Translation("Always fires", "Unconditional trigger match", when="true", trigger_ids=('"always"',))
