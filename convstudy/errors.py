"""The base of every error that is the user's to fix: bad data, an unreadable image, a wrong
config value. Its message names the file or setting and what to do, so it is shown alone; any
other exception is a bug, shown with its type (and its traceback in the rule's log)."""


class UserError(Exception):
    """A problem with the user's input; the message says which and how to fix it."""
