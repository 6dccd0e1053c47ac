"""The exceptions of the cashmatch package.

Every exception carries the CLI's classification: ``code`` (a stable
string: the parser's error class such as ``INVALID_AMOUNT`` for a bank file,
``CONFIG``/``INPUT``/``OUTPUT``/``INVARIANT`` otherwise) and ``exit_code``
(what ``cashmatch run`` would have exited with). ``str(exc)`` is the
message the CLI prints.
"""

from __future__ import annotations

from typing import Optional


class CashmatchError(Exception):
    """Base class of every error raised by cashmatch."""

    code: str
    exit_code: int

    def __init__(self, message: str, *, code: str = "ERROR", exit_code: int = 1, **attrs: object) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.exit_code = exit_code
        for key, value in attrs.items():
            setattr(self, key, value)


class ConfigError(CashmatchError):
    """The rules (a TOML file, TOML text or a dict) are unreadable or invalid;
    the message names the key. CLI exit code 1."""


class InputError(CashmatchError):
    """An input cannot be used at all: an open-item or customer extract the
    reader refuses (the message names the file, data row and column), or a
    transactions table without the columns ``parse`` returns. CLI exit code 1."""


class OutputError(CashmatchError):
    """An output table cannot be built or written (for example an amount
    with more than four decimals). CLI exit code 5."""


class InvariantError(CashmatchError):
    """The engine broke a money invariant (an engine bug): nothing is
    returned. CLI exit code 4."""


class ParseError(CashmatchError):
    """A bank file the parser refuses (the CLI rejects the file with the same
    message and exits 3).

    Attributes: ``code`` (the parser's error class: ``STRUCTURE``,
    ``INVALID_AMOUNT``, ``INVALID_DATE``, ``TRUNCATED``, ``UNKNOWN_FORMAT``,
    ``ENCODING``, ...), ``file`` (the name given), ``format`` (``bai2``,
    ``camt``, ``MT940``, ``bank_csv``, or None when unknown), ``line`` and
    ``column`` (1-based, None when the position is not a line), ``element``
    (the XML element path of camt files) and ``offset`` (a byte offset, for
    positions that are not lines).
    """

    file: Optional[str] = None
    format: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    element: Optional[str] = None
    offset: Optional[int] = None


class RejectedFileError(CashmatchError):
    """A bank file that parses but is refused whole, as the CLI refuses it:
    ``code`` ``UNBALANCED`` (its own totals fail; pass
    ``accept_unbalanced=True`` to take it anyway) or ``STRUCTURE`` (a
    structural defect such as no booked statement). Attributes ``file`` and
    ``format``. CLI exit code 3."""

    file: Optional[str] = None
    format: Optional[str] = None
