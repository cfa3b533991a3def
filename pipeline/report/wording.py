"""Sentences in the published review's style, generated from the counts (never hand-written).

Each function takes numbers and returns prose that is true for them, whatever they are: all
plans fully met, some not met, none at all, one plan only. Tests exercise every branch.
"""

from __future__ import annotations

from fractions import Fraction

from pipeline.report.settings import ReportSettings


def plans(n: int, noun: str = "plan") -> str:
    """'1 plan', '3 plans', 'no plans'."""
    if n == 0:
        return f"no {noun}s"
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def join_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' (the review's style: no Oxford comma)."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def criterion10_sentence(fully: int, partially: int, not_met: int) -> str:
    """The review's headline sentence for Criterion 10 ratings."""
    total = fully + partially + not_met
    if total == 0:
        return "No plans were reviewed."
    if total == 1:
        verb = "fully met" if fully else "partially met" if partially else "did not meet"
        return f"The one plan reviewed {verb} this criterion."
    if not_met == 0:
        every = "Both plans" if total == 2 else f"All {total} plans"
        if partially == 0:
            return f"{every} fully met this criterion."
        if fully == 0:
            return (
                f"{every} partially satisfied this criterion; none fully met the "
                "requirements set out in the guidance."
            )
        rest = "remaining plan" if partially == 1 else f"remaining {partially} plans"
        return (
            f"{every} fully or partially satisfied this criterion, with {fully} "
            f"fully meeting the requirements set out in the guidance. The {rest} would have "
            "benefitted from adding further information."
        )
    if fully == 0 and partially == 0:
        return f"None of the {total} plans met this criterion."
    parts = []
    if fully:
        parts.append(f"{fully} fully met this criterion")
    if partially:
        parts.append(f"{partially} partially met {'it' if parts else 'this criterion'}")
    parts.append(f"{not_met} did not meet it")
    return f"Of the {total} plans, {join_list(parts)}."


def missing_intro(partially: int) -> str:
    """Lead-in to the list of what partially met plans lacked."""
    if partially == 0:
        return "No plan partially met this criterion, so no plan lacked any of the items below."
    who = (
        "The plan that partially met it"
        if partially == 1
        else (f"The {partially} plans that partially met it")
    )
    return (
        f"{who} would have benefitted from adding more detail on one or more of the "
        "following (number of plans lacking each):"
    )


def tools_sentence(counts: list[tuple[str, int]], total: int, top: int) -> str:
    """Most used engagement tools, from (label, plans) pairs sorted most used first."""
    used = [(label, n) for label, n in counts if n > 0][:top]
    # counts arrive sorted most used first
    if not used:
        return "No engagement tools were found in the passages describing engagement methods."
    named = [f"{label.lower()} ({n} of {total})" for label, n in used]
    return f"The tools most commonly used for engagement were {join_list(named)}."


def third_sector_sentence(robust: int, needs_more: int, none: int) -> str:
    """Robust / needs more / no mention, in the review's order."""
    total = robust + needs_more + none
    if total == 0:
        return "No plans were reviewed."
    if none == total:
        return f"None of the {total} plans mentioned the third sector."
    clauses = [
        (robust, "provided robust information on how third sector organisations took part"),
        (
            needs_more,
            "needed to include more information on how third sector organisations took part "
            "in developing and delivering children's services",
        ),
        (none, "made no mention of the third sector"),
    ]
    parts = [f"{plans(n)} {text}" for n, text in clauses if n > 0]
    if none == 0:
        parts.append("every plan mentioned the third sector")
    return _capital(join_list(parts)) + "."


def fraction_words(k: int, n: int, settings: ReportSettings) -> str:
    """A phrase for k of n plans that is true for the exact fraction ('Fewer than a third of')."""
    if n == 0 or k == 0:
        return "None of"
    if k == n:
        return "All of"
    value = Fraction(k, n)
    if value == Fraction(1, 2):
        return "Half of"
    for band in settings.fraction_bands:
        if value < Fraction(band.below):
            return band.words
    return "Most of"


def advocacy_sentence(k: int, n: int, settings: ReportSettings) -> str:
    """How many plans referred to advocacy support, with count and percentage."""
    if n == 0:
        return "No plans were reviewed."
    pct = round(100 * k / n)
    lead = fraction_words(k, n, settings)
    return (
        f"{lead} the plans ({k} of {n}, {pct}%) referred to advocacy support or services, "
        "offered or planned, for children and young people."
    )


def movement_sentence(improved: int, same: int, declined: int) -> str:
    """How ratings moved for areas reviewed in more than one cycle."""
    total = improved + same + declined
    if total == 0:
        return "No area was reviewed in more than one cycle, so no movement can be shown."
    areas = "area" if total == 1 else "areas"
    return (
        f"Of the {total} {areas} reviewed in more than one cycle, {improved} improved "
        f"their Criterion 10 rating, {same} stayed the same and {declined} declined."
    )
