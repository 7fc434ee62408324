# Helpers of rules/edges.smk: the photographs of section 1, listed when the workflow loads.

from pathlib import Path

from convstudy.images import list_images as list_edge_images
from convstudy.images import shown, tracked_path

# Listed when the workflow loads (a few bytes per file), so the per-image targets are known and a
# missing or empty folder fails at once, naming edges.images.
EDGES = config["edges"]
EDGE_IMAGES = checked(list_edge_images, EDGES["images"])
for _path, _why in EDGE_IMAGES.skipped:
    logger.warning(f"edges.images: skipping {shown(_path)}: {_why}")
for _path, _name in EDGE_IMAGES.renamed:
    logger.warning(
        f"edges.images: {shown(_path)} is named {_name!r} in the results (Snakemake would read "
        "braces in a file name as a wildcard)"
    )
# What Snakemake tracks of each image: the file, or a link to it where its path holds a brace.
EDGE_INPUTS = {
    name: tracked_path(path, name, Path(".snakemake") / "convstudy" / "edge_images")
    for name, path in EDGE_IMAGES.images.items()
}
