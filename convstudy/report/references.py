"""The references the report cites by number ([1], [2], ...)."""

from convstudy.report.page import Page

REFERENCES = (
    "A. Zhang, Z. C. Lipton, M. Li, A. J. Smola. Dive into Deep Learning. Cambridge University "
    "Press, 2023 (and the 2019 edition, d2l.ai); chapters on convolutional "
    "networks, classic and modern, and batch normalization.",
    "Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document "
    "recognition. Proceedings of the IEEE 86(11), 2278-2324, 1998.",
    "A. Krizhevsky, I. Sutskever, G. E. Hinton. ImageNet classification with deep convolutional "
    "neural networks. Advances in Neural Information Processing Systems 25, 2012.",
    "S. Ioffe, C. Szegedy. Batch normalization: accelerating deep network training by reducing "
    "internal covariate shift. Proceedings of ICML, 2015.",
    "J. M. S. Prewitt. Object enhancement and extraction. In Picture Processing and "
    "Psychopictorics, Academic Press, 1970, 75-149.",
    "I. Sobel, G. Feldman. A 3x3 isotropic gradient operator for image processing. Talk at the "
    "Stanford Artificial Intelligence Project, 1968.",
    "Student (W. S. Gosset). The probable error of a mean. Biometrika 6(1), 1-25, 1908 (the t "
    "interval, here of paired differences); B. L. Welch. The generalization of 'Student's' "
    "problem when several different population variances are involved. Biometrika 34, 28-35, "
    "1947.",
    "J. Cohen. Statistical Power Analysis for the Behavioral Sciences, 2nd ed. Erlbaum, 1988 "
    "(power of the t test, computed here from the noncentral t distribution with SciPy).",
)


def blocks(plan, page: Page) -> list[dict]:
    return [
        {
            "kind": "references",
            "entries": [
                {"id": f"reference-{n}", "text": f"[{n}] {text}"}
                for n, text in enumerate(REFERENCES, start=1)
            ],
        }
    ]
