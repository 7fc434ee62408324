"""The study's outline: each section of the report, by key, with its title, in order.

The one place section titles are written: the HTML report, the rules' report categories (for
`snakemake --report`) and the models (each names the section its comparisons belong to) all
refer to sections by key.
"""

SECTIONS = {
    "findings": "Key findings",
    "edges": "1. Edge detection",
    "conv_shapes": "2. Convolution shapes",
    "conv1x1": "3. 1x1 convolution",
    "lenet": "4. LeNet",
    "alexnet": "5. AlexNet",
    "activations": "6. Activation maps",
    "confusion": "7. Confusion matrices",
    "time": "8. Where the time goes",
    "environment": "Environment",
    "glossary": "Glossary",
    "references": "References",
    "runs": "Appendix: every run",
}


def title(key: str) -> str:
    return SECTIONS[key]


def position(key: str) -> int:
    return list(SECTIONS).index(key)
