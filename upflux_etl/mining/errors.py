"""The one error of the mining package: bad input, named by file, column or row."""


class EventLogError(ValueError):
    """An event log or model that cannot be read: the message names the file and the place."""
