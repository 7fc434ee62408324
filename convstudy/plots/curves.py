"""Training curves of a comparison: each arm's seeds as a mean line with a band."""

from matplotlib.figure import Figure

from convstudy.plots.timing import breakdown_axis

CURVES = (
    ("train_loss", "training loss"),
    ("train_accuracy", "training accuracy"),
    ("test_accuracy", "test accuracy"),
)
REFERENCE_COLOUR = "0.35"


def arm_style(table) -> dict[str, dict]:
    """Line style per arm: a colour each, the reference grey and dashed."""
    styles, colour = {}, 0
    for row in table.itertuples():
        if row.role == "reference":
            styles[row.arm] = {"color": REFERENCE_COLOUR, "linestyle": "--"}
        else:
            styles[row.arm] = {"color": f"C{colour}", "linestyle": "-"}
            colour += 1
    return styles


def curve_axis(axis, table, epochs, metric: str, ylabel: str) -> None:
    """One metric per epoch: the mean over seeds, and mean +- one standard deviation as a band
    (no band for a single seed)."""
    styles = arm_style(table)
    for row in table.itertuples():
        per_epoch = epochs[epochs["arm"] == row.arm].groupby("epoch")[metric]
        mean = per_epoch.mean()
        label = f"{row.label} ({row.seeds} seed{'s' if row.seeds != 1 else ''})"
        if row.role == "reference":
            label += ", reference"
        axis.plot(
            mean.index, mean.to_numpy(), marker="o", markersize=3, label=label, **styles[row.arm]
        )
        if row.seeds > 1:
            spread = per_epoch.std(ddof=1).to_numpy()
            axis.fill_between(
                mean.index,
                mean.to_numpy() - spread,
                mean.to_numpy() + spread,
                color=styles[row.arm]["color"],
                alpha=0.2,
                linewidth=0,
            )
    axis.set_xlabel("epoch")
    axis.set_ylabel(ylabel)
    axis.set_title(ylabel)
    axis.grid(True, alpha=0.3)
    epochs_run = sorted(epochs["epoch"].unique())
    if len(epochs_run) <= 12:
        axis.set_xticks(epochs_run)


def curves_figure(table, epochs, title: str) -> Figure:
    """Loss, training and test accuracy per epoch, and where each arm's epoch time goes."""
    figure = Figure(figsize=(11.0, 7.5), layout="constrained")
    axes = figure.subplots(2, 2)
    for axis, (metric, ylabel) in zip(axes.flat, CURVES, strict=False):
        curve_axis(axis, table, epochs, metric, ylabel)
    axes[0, 0].legend(fontsize=8)
    breakdown_axis(axes[1, 1], list(table["label"]), table)
    axes[1, 1].set_title("epoch time by phase")
    figure.suptitle(title)
    return figure
