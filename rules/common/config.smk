# The config: as given (config.yaml, --configfile, --config), checked against the schema, then
# its preset, with the user's own values winning. A problem stops the load with one message naming
# the setting.

from pathlib import Path

import yaml
from snakemake.common.configfile import load_configfile

from convstudy.config import apply_preset, schema_problem, type_command_line_values
from convstudy.errors import UserError

SCHEMA = Path(workflow.basedir) / "schemas" / "config.schema.yaml"


def stop_at_load(problem):
    """Stop the load with the problem alone: its message names the setting and what to do, and a
    traceback would only point into this workflow's code, which is not where the fix is."""
    logger.error(f"Config error: {problem}")
    raise SystemExit(1)


def stop_for_target(problem):
    """Stop, with the problem alone, when a requested path names something unknown (a typo in a
    dataset, model, framework or variant). Called from an input function while Snakemake builds
    the DAG: SystemExit passes through Snakemake as is, where any other exception would be shown
    with its traceback."""
    logger.error(f"Target error: {problem}")
    raise SystemExit(1)


def checked(function, *args):
    """function(*args), stopping the load with the message of a UserError it raises."""
    try:
        return function(*args)
    except UserError as error:
        stop_at_load(error)


def check_schema():
    problem = schema_problem(config, yaml.safe_load(SCHEMA.read_text()))
    if problem:
        stop_at_load(f"{problem} (schema: schemas/config.schema.yaml)")
    validate(config, str(SCHEMA))  # Snakemake's own check also fills the schema's defaults


def config_defaults():
    """config.yaml as loaded on its own: what the user did not set with --configfile or --config
    (empty when the command line replaces it)."""
    if workflow.config_settings.replace_workflow_config or not Path(CONFIG_FILE).is_file():
        return {}
    return load_configfile(CONFIG_FILE)


type_command_line_values(config, workflow.config_settings.config)
check_schema()
# Values the user set on top of config.yaml win over the preset's; the log names any it kept out.
checked(apply_preset, config, config_defaults(), logger.warning)
check_schema()
