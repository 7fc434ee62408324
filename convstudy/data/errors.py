from convstudy.errors import UserError


class DataError(UserError):
    """A dataset could not be obtained or failed verification.

    The message names the file, what was expected, and what to do about it.
    """
