"""The configs of a release, one class each, registered in their fixed order: ``documents``, ``ner``, ``topics``.

To add a config, write a ``Config`` subclass (see ``base``) in a module of its own, decorate it with
``@register``, and import that module here, after the configs it should follow.
"""

from newscorpus.derive.configs.base import (
    CONFIGS,
    Config,
    Rows,
    TableRows,
    get_config,
    register,
    select_configs,
    unregister,
)
from newscorpus.derive.configs.documents import Documents
from newscorpus.derive.configs.ner import Ner, NerSentence, TokenOffset, has_entity_gold, ner_rows
from newscorpus.derive.configs.topics import TOPIC_KINDS, TopicRow, Topics, topic_row

__all__ = [
    "CONFIGS",
    "TOPIC_KINDS",
    "Config",
    "Documents",
    "Ner",
    "NerSentence",
    "Rows",
    "TableRows",
    "TokenOffset",
    "TopicRow",
    "Topics",
    "get_config",
    "has_entity_gold",
    "ner_rows",
    "register",
    "select_configs",
    "topic_row",
    "unregister",
]
