"""The study's report: one self-contained HTML page that follows the original study's sections.

Everything is inside the file: figures as data URIs, tables as HTML, a little inline CSS; no
scripts and no external resources, so it opens offline and can be mailed. Every figure and table
is numbered, captioned, referred to (with a link) from the text and linked to its file under
results/. Every sentence is written from this build's tables, so it states the numbers beside it.

The package follows the page: `page` numbers and captions figures and tables; `wording` writes
numbers; `arms` words what every comparison shares; one module per section holds that section's
blocks and its sentences side by side (`edges`, `conv_shapes`, `conv1x1`, `model_sections`,
`showcase`, `timing`, `environment`, `references`, `runs`); `overview` writes what the page opens
with; `render` puts the sections into the Jinja2 template (templates/report.html.j2).

The plan (plain data, built by the workflow in rules/common/report.smk) names every file:
  preset, scale, default_epochs, generated_by      what the numbers are
  datasets     {name: {title, available, why}}
  edges        {images: [item], kernels_figure, energy_figure, energy_table}
  conv_shapes  {table, figure};  conv1x1 {table, figure, im2col_table, im2col_figure}
  comparisons  [{name, title, section, kind, expected_faster, table, figure, divergence}]
               (declared order; divergence: {table, result} where the comparison declares
               one, else None: where its two frameworks part ways, convstudy.divergence)
  comparisons_table  item: every comparison's table joined, with q values
  skipped      [{name, title, section, dataset}]               (comparisons left out)
  gpu_skipped  [{name, title, section, why, estimates: [{arm, label, path}]}]  (left out for
               lack of a GPU; each estimate the JSON of one arm's CPU time per epoch)
  width        {section, table, figure, tolerance} or None;  time {table, figure}
  architectures item;  environment item;  runs_table item
  activations, confusion  [{dataset, title, run, table, figure (, channels, errors)}]
  showcase_skipped        [{dataset, title}]
An item is {path, caption (an .rst path or None), context (the caption's template variables)}.
"""

from convstudy.report.render import build_report, render_report

__all__ = ["build_report", "render_report"]
