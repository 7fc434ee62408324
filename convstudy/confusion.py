"""Section 7: confusion matrices of a trained run's test predictions.

Rows are the true classes, columns the predicted ones. The row-normalized matrix divides each
row by its number of test images, so its diagonal is each class's recall and an off-diagonal
cell is the share of a class mistaken for another, whatever the class sizes.
"""

import numpy as np
import pandas as pd


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts: [true class, predicted class] (int64, num_classes x num_classes)."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if labels.shape != predicted.shape:
        raise ValueError(f"{labels.shape} labels but {predicted.shape} predictions")
    for name, values in (("label", labels), ("prediction", predicted)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"a {name} outside 0..{num_classes - 1}")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def row_normalized(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows of a class absent from the test set stay zero)."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def confusion_table(counts: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """The counts with class names: a `true class` column, then one column per predicted class."""
    table = pd.DataFrame(counts, columns=classes)
    table.insert(0, "true class", classes)
    return table


def class_errors(counts: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """One row per class: its test images, recall, and the class it is most often taken for."""
    shares = row_normalized(counts)
    off_diagonal = np.where(np.eye(len(classes), dtype=bool), -1, counts)
    confused_with = off_diagonal.argmax(axis=1)
    return pd.DataFrame(
        {
            "class": classes,
            "test_images": counts.sum(axis=1),
            "recall": np.diag(shares),
            "most_often_predicted_as": [classes[i] for i in confused_with],
            "share_predicted_as_it": shares[np.arange(len(classes)), confused_with],
        }
    )
