"""The Glossary section: the words of the study's design and statistics that a student of the
textbook's chapters on convolutional networks may not know, each defined once. The first use of
each on the page links here (convstudy.report.links)."""

from convstudy.report.page import Page

INTRODUCTION = "The words this report uses for its design, its statistics and its code."

# id -> (its title, the words that name it on the page, longest first, and its definition).
# A definition may use another term; it is not linked there.
TERMS = {
    "arm": (
        "arm",
        ("arms", "arm"),
        "One setting of a comparison (for example average pooling), trained once per seed. The "
        "first arm of a comparison is its baseline; every other arm is compared with it.",
    ),
    "baseline": (
        "baseline",
        ("baseline",),
        "The arm a comparison measures the others against: the first one it lists.",
    ),
    "seed": (
        "seed",
        ("seeds", "seed"),
        "The number that fixes a run's initial weights and the order of its training images. "
        "Arms that ran the same seeds start from the same weights and see the same batches.",
    ),
    "chance": (
        "chance level",
        ("chance level", "at chance"),
        "The accuracy of guessing: 1 / (number of classes), 0.10 for the ten classes of MNIST "
        "and Fashion-MNIST. A run whose training loss ends at ln(classes), that of a uniform "
        "guess, did not train.",
    ),
    "paired-interval": (
        "paired 95% interval (paired 95% CI)",
        ("paired 95% CI", "paired 95% interval", "paired interval", "paired"),
        "The 95% confidence interval of a difference computed seed by seed: each seed's "
        "difference between the two arms, then Student's t interval of their mean. Pairing "
        "removes what the arms share on a seed (its weights and batch order), so it sees smaller "
        "differences than comparing the two arms' means. It needs at least 3 seeds.",
    ),
    "welch": (
        "Welch's interval",
        ("Welch",),
        "Welch's interval: the 95% interval of a difference between arms that did not run the "
        "same seeds, treating them as independent samples with unequal spreads.",
    ),
    "no-clear-difference": (
        "no clear difference",
        ("no clear difference",),
        "The interval includes zero (or, for a speed, a ratio of 1): these seeds cannot tell "
        "which arm is ahead, so no arm is called better, faster or slower.",
    ),
    "detectable": (
        "detectable difference",
        ("detectable difference", "would have detected", "detectable"),
        "The smallest true difference these seeds would have found with 80% probability (the "
        "test's power) at the 5% level, given the spread seen between seeds. A comparison with "
        "no clear difference rules out differences much larger than this, not smaller ones.",
    ),
    "power": (
        "power",
        ("power",),
        "The probability that a test finds a difference of a given size when there is one.",
    ),
    "p-value": (
        "p value",
        ("p value", "p values"),
        "How often a difference at least this large would appear by chance if the two arms were "
        "the same (the two-sided t test of the interval).",
    ),
    "q-value": (
        "q value (false discovery control)",
        ("q values", "q value", "Benjamini-Hochberg", "false discovery"),
        "A p value adjusted for the number of differences the report tests (Benjamini-Hochberg): "
        "calling clear only the differences with q at most 0.05 keeps the share of chance "
        "findings among them at most 5%.",
    ),
    "identical": (
        "identical arms",
        ("identical",),
        "Arms whose training losses agree on every seed and every epoch (within float "
        "rounding): the same computation, scheduled or fed differently. They are compared for "
        "time only.",
    ),
    "speed-ratio": (
        "speed ratio",
        ("speed ratio",),
        "An arm's training speed divided by its baseline's. Its 95% interval comes from the "
        "rounds: the ratio within each round, then the t interval of their logarithms.",
    ),
    "rounds": (
        "rounds",
        ("rounds", "round"),
        "How a comparison's arms are timed: in one job with nothing else running, one pass of "
        "each arm per round, so that a change in the machine's speed falls on every arm alike.",
    ),
    "timed-alone": (
        "timed alone",
        ("timed alone", "measured alone"),
        "Timed by a job that reserves every core Snakemake was given, so that no other job runs "
        "beside it. Training runs' own epoch times are measured alongside other jobs.",
    ),
    "preset": (
        "preset",
        ("preset",),
        "A named scale of the whole study, set under presets: in config.yaml: full (the whole "
        "datasets, every seed and epoch) or quick (small subsets, few epochs and seeds: it shows "
        "that every part runs).",
    ),
    "epoch": (
        "epoch",
        ("epochs", "epoch"),
        "One pass over the training images.",
    ),
    "im2col": (
        "im2col",
        ("im2col",),
        "Image to columns: every input window a kernel covers copied into one column of a "
        "matrix, so that the convolution becomes one matrix product.",
    ),
    "nhwc": (
        "NHWC",
        ("NHWC",),
        "A layout of a batch of images in memory: image, row, column, channel (channels last). "
        "The textbook's layout is NCHW (channels first).",
    ),
    "hybridize": (
        "hybridized, imperative",
        ("hybridized", "hybridize", "imperative"),
        "MXNet runs a network imperatively (each layer called from Python) or, hybridized, as "
        "one compiled graph.",
    ),
    "nesterov": (
        "Nesterov momentum",
        ("Nesterov",),
        "SGD with Nesterov momentum: each step adds a share (the momentum, here 0.9) of the "
        "previous steps, looking ahead along them.",
    ),
    "data-loader": (
        "DataLoader, worker processes",
        ("DataLoader", "worker processes", "loader workers"),
        "The framework's loader that prepares batches image by image (the textbook's data path), "
        "optionally in separate worker processes. The in-memory path keeps the whole set as one "
        "array and slices batches from it.",
    ),
}


def blocks(plan, page: Page) -> list[dict]:
    return [
        {
            "kind": "glossary",
            "entries": [
                {"id": f"term-{key}", "term": title, "text": text}
                for key, (title, _, text) in TERMS.items()
            ],
        }
    ]
