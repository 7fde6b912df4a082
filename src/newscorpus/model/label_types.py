"""Generated from schemas/labels.yaml by `newscorpus schema labels`: do not edit."""

from typing import Literal

EntityLabel = Literal[
    "LOC",
    "LOCderiv",
    "LOCpart",
    "ORG",
    "ORGderiv",
    "ORGpart",
    "OTH",
    "OTHderiv",
    "OTHpart",
    "PER",
    "PERderiv",
    "PERpart",
]
"""A NoSta-D entity label, in ClassLabel order."""

Topic = Literal[
    "Etat",
    "Inland",
    "International",
    "Kultur",
    "Panorama",
    "Sport",
    "Web",
    "Wirtschaft",
    "Wissenschaft",
]
"""A 10kGNAD topic, in ClassLabel order."""

NerTag = Literal[
    "O",
    "B-LOC",
    "I-LOC",
    "B-LOCderiv",
    "I-LOCderiv",
    "B-LOCpart",
    "I-LOCpart",
    "B-ORG",
    "I-ORG",
    "B-ORGderiv",
    "I-ORGderiv",
    "B-ORGpart",
    "I-ORGpart",
    "B-OTH",
    "I-OTH",
    "B-OTHderiv",
    "I-OTHderiv",
    "B-OTHpart",
    "I-OTHpart",
    "B-PER",
    "I-PER",
    "B-PERderiv",
    "I-PERderiv",
    "B-PERpart",
    "I-PERpart",
]
"""A GermEval 2014 BIO tag: O, then B-/I- of each entity label in order."""
