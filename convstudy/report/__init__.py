"""The study's report: one self-contained HTML page that follows the original study's sections.

Everything is inside the file: figures as data URIs, tables as HTML, a little inline CSS; no
scripts and no external resources, so it opens offline and can be mailed. Every figure and table
is numbered, captioned, referred to (with a link) from the text and linked to its file under
results/. Every sentence is written from this build's tables, so it states the numbers beside it.

The package follows the page: `page` numbers and captions figures and tables; `wording` writes
numbers and names; `links` links the prose; `arms` words what every comparison shares; one
module per section holds that section's blocks and its sentences side by side (`key_findings`,
`edges`, `conv_shapes`, `conv1x1`, `showcase`, `timing`, `environment`, `glossary`,
`references`, `runs`, and `model_sections` for every model's section); `overview` writes what
the page opens with; `render` puts the sections, in the order of convstudy.outline, into the
Jinja2 template (templates/report.html.j2). It names no model: the models' sections, their
titles and introductions come from the models listed under models: in config.yaml
(convstudy.models), in that order.

The plan (plain data, built by the workflow in rules/common/report.smk) names every file:
  preset, scale, default_epochs, generated_by      what the numbers are
  models       the models: of config.yaml, in order (their sections' order)
  config       config.yaml as loaded, its preset applied: what the introductions describe
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
  architectures item;  environment item;  cost item;  runs_table item
  activations, confusion  [{dataset, title, run, table, figure (, channels, errors)}]
  showcase_skipped        [{dataset, title}]
An item is {path, caption (an .rst path or None), context (the caption's template variables)}.
"""

from convstudy.report.render import build_report, render_report

__all__ = ["build_report", "render_report"]
