"""Why a password is too easy to guess, judged offline by zxcvbn.

zxcvbn knows the common-password lists, dictionary words, names, keyboard walks, repeats,
sequences and dates, and estimates how many guesses a password takes. We ask for at least
10^8 guesses (its score 3): "aaaaaaaaaa", "1234567890" and "password12" fall far short, while a
few ordinary words in a row pass. The frequency lists load on first use (about 0.1 s).
"""

from __future__ import annotations

MIN_SCORE = 3
# zxcvbn's cost grows with the length, and refuses past 72 characters; a longer password is
# judged by its first 72, which is where a weak one shows.
_JUDGED_LENGTH = 72


def weakness(password: str) -> str | None:
    """Why the password is too easy to guess, in a sentence, or None when it is strong enough."""
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:_JUDGED_LENGTH])
    if verdict["score"] >= MIN_SCORE:
        return None
    warning = verdict["feedback"]["warning"] or "It would be guessed quickly."
    return f"{warning} Use a few unrelated words, or a password manager's."
