"""Compose SYNTHETIC sample plans from YAML data: shared boilerplate pools plus per-plan text.

Each plan file under ``plans/`` gives the fictional area, its intended Criterion 10 labels and
the passages written for it (engagement, third sector, advocacy, evaluation). The shared pools in
``shared/boilerplate.yaml`` give the rest of a plan (foreword, vision, local needs, priorities,
action plan, governance, measuring success, appendices) and ``shared/hard_negatives.yaml`` the
passages an analyst must NOT count; a seeded choice varies them per area.

Only passages with an ``el`` key are labelled: ``el: [cyp, methods]`` for evidence, ``el: []``
for a hard negative.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import element_ids
from pipeline.sample_corpus.render import PlanDocument

DATA_DIR = Path(__file__).resolve().parent
PLANS_DIR = DATA_DIR / "plans"
SHARED_DIR = DATA_DIR / "shared"

ELEMENTS = tuple(element_ids())
MISSING_ITEMS = ("methods", "families", "workforce", "community", "findings", "influence")
CRITERION10 = ("fully", "partially", "not_met")
THIRD_SECTOR = ("robust", "needs_more", "none")
NEGATIVE_CATEGORIES = (
    "legal_consultation",
    "partners_generic",
    "bare_promise",
    "national_survey",
    "service_name",
)
SYNTHETIC_NOTE = (
    "Synthetic sample plan \u2013 a fictional partnership created for testing csp-review. "
    "Not a real Children's Services Plan."
)
ACTION_COLUMNS = ["Priority", "Action", "Lead", "Timescale", "Measure"]
ACTION_WIDTHS = [0.17, 0.35, 0.16, 0.12, 0.20]


@dataclass(frozen=True)
class PlanLabels:
    """The intended plan-level judgements for one synthetic plan."""

    plan_id: str
    cycle: str
    area: str
    criterion10: str
    missing: tuple[str, ...]
    third_sector: str
    advocacy: str
    rationale: str


def load_yaml(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def load_shared() -> dict[str, Any]:
    """Load the shared boilerplate and hard-negative pools."""
    shared = load_yaml(SHARED_DIR / "boilerplate.yaml")
    shared["hard_negatives"] = load_yaml(SHARED_DIR / "hard_negatives.yaml")["items"]
    return shared


def plan_files() -> list[Path]:
    """All plan data files, sorted by name."""
    return sorted(PLANS_DIR.glob("*.yaml"))


def _yes_no(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def plan_labels(plan: dict[str, Any]) -> PlanLabels:
    """Validate and return the intended labels of a plan data file."""
    lab = plan["labels"]
    plan_id = f"{plan['slug']}-{plan['cycle']}"
    missing = tuple(lab.get("missing") or ())
    labels = PlanLabels(
        plan_id=plan_id,
        cycle=plan["cycle"],
        area=plan["area"],
        criterion10=lab["criterion10"],
        missing=missing,
        third_sector=lab["third_sector"],
        advocacy=_yes_no(lab["advocacy"]),
        rationale=" ".join(str(lab["rationale"]).split()),
    )
    if labels.criterion10 not in CRITERION10:
        raise ValueError(f"{plan_id}: bad criterion10 {labels.criterion10!r}")
    if labels.third_sector not in THIRD_SECTOR:
        raise ValueError(f"{plan_id}: bad third_sector {labels.third_sector!r}")
    if labels.advocacy not in ("yes", "no"):
        raise ValueError(f"{plan_id}: bad advocacy {labels.advocacy!r}")
    if bad := set(missing) - set(MISSING_ITEMS):
        raise ValueError(f"{plan_id}: unknown missing items {sorted(bad)}")
    if (labels.criterion10 == "partially") != bool(missing):
        raise ValueError(f"{plan_id}: 'missing' must be given exactly when partially met")
    return labels


# --------------------------------------------------------------------------------------------
# blocks (YAML) -> story items (renderer)


def _check_elements(elements: list[str], where: str) -> list[str]:
    if bad := set(elements) - set(ELEMENTS):
        raise ValueError(f"{where}: unknown evidence elements {sorted(bad)}")
    return list(elements)


def _labelled(block: dict[str, Any], where: str) -> dict[str, Any]:
    if "el" in block:
        return {"label": True, "elements": _check_elements(block["el"] or [], where)}
    return {"label": False, "elements": []}


def blocks_to_items(blocks: list[Any], ctx: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """Turn YAML blocks (h/p/bullets/quote/table) into renderer story items."""
    items: list[dict[str, Any]] = []
    for block in blocks or []:
        if isinstance(block, str):
            block = {"p": block}
        if "h" in block:
            items.append({"kind": "h2", "text": fill(block["h"], ctx)})
        elif "p" in block:
            items.append({"kind": "p", "text": fill(block["p"], ctx), **_labelled(block, where)})
        elif "bullets" in block:
            for entry in block["bullets"]:
                entry = {"t": entry} if isinstance(entry, str) else entry
                items.append(
                    {"kind": "bullet", "text": fill(entry["t"], ctx), **_labelled(entry, where)}
                )
        elif "quote" in block:
            items.append(
                {
                    "kind": "quote",
                    "text": fill(block["quote"], ctx),
                    "by": block.get("by", ""),
                    **_labelled(block, where),
                }
            )
        elif "table" in block:
            table = block["table"]
            rows = []
            for row in table["rows"]:
                row = {"cells": row} if isinstance(row, list) else row
                rows.append(
                    {"cells": [fill(str(c), ctx) for c in row["cells"]], **_labelled(row, where)}
                )
            items.append(
                {
                    "kind": "table",
                    "columns": table["columns"],
                    "widths": table["widths"],
                    "rows": rows,
                }
            )
        else:
            raise ValueError(f"{where}: unknown block {block!r}")
    return items


def fill(text: str, ctx: dict[str, Any]) -> str:
    """Fill ``{placeholders}`` and collapse whitespace (YAML folded text)."""
    return " ".join(str(text).format(**ctx).split())


def _context(plan: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    start = int(plan["cycle"][:4])
    children = rng.randrange(9, 42) * 1000 + rng.randrange(0, 10) * 100
    return {
        "area": plan["area"],
        "partnership": plan["partnership"],
        "council": plan["council"],
        "health_board": plan["health_board"],
        "cycle": plan["cycle"],
        "years": f"{start} to {start + 3}",
        "start": start,
        "end": start + 3,
        "prev_years": f"{start - 3} to {start}",
        "children": f"{children:,}",
        "pct_children": rng.randrange(160, 205) / 10,
        "pct_poverty": rng.randrange(140, 290) / 10,
        "pct_poverty_scot": 24.0,
        "lac_rate": rng.randrange(11, 26) / 10,
        "lac_scot": 1.3,
        "cp_rate": rng.randrange(18, 41) / 10,
        "pct_simd": rng.randrange(4, 33),
        "pct_asn": rng.randrange(300, 420) / 10,
        "pct_ready": rng.randrange(76, 88),
        "pct_dest": rng.randrange(920, 968) / 10,
        "pct_wellbeing": rng.randrange(38, 57),
        "pct_carers": rng.randrange(6, 13),
        "pct_dmft": rng.randrange(68, 82),
        "n_schools": rng.randrange(14, 61),
        "n_secondary": rng.randrange(3, 11),
    }


def _pick(rng: random.Random, pool: list[Any], k: int) -> list[Any]:
    """Choose ``k`` items from ``pool`` keeping the pool's order (seeded)."""
    idx = sorted(rng.sample(range(len(pool)), k))
    return [pool[i] for i in idx]


def _choose_priorities(
    pool: list[dict[str, Any]], plan: dict[str, Any], rng: random.Random, where: str, k: int = 4
) -> list[dict[str, Any]]:
    """Four priorities in pool order: those the plan's text relies on, then seeded picks.

    A plan names the priorities its own passages refer to in ``require_priorities`` and in the
    ``priority`` of its extra action rows.
    """
    titles = [pri["title"] for pri in pool]
    wanted = set(plan.get("require_priorities", []))
    wanted |= {a["priority"] for a in plan.get("actions", [])}
    if bad := wanted - set(titles):
        raise ValueError(f"{where}: unknown priorities {sorted(bad)}")
    if len(wanted) > k:
        raise ValueError(f"{where}: more than {k} required priorities")
    rest = [i for i, t in enumerate(titles) if t not in wanted]
    chosen = {titles.index(t) for t in wanted} | set(rng.sample(rest, k - len(wanted)))
    return [pool[i] for i in sorted(chosen)]


def _negatives(shared: dict[str, Any], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """One hard negative per required category plus one extra, grouped by target section."""
    pool = shared["hard_negatives"]
    chosen = []
    for category in NEGATIVE_CATEGORIES:
        options = [n for n in pool if n["category"] == category]
        chosen.append(rng.choice(options))
    extras = [n for n in pool if n["category"] not in NEGATIVE_CATEGORIES]
    chosen.extend(_pick(rng, extras, 2))
    by_section: dict[str, list[dict[str, Any]]] = {}
    for neg in chosen:
        by_section.setdefault(neg["section"], []).append(neg)
    return by_section


def _neg_items(
    negs: dict[str, list[dict[str, Any]]], section: str, ctx: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        {
            "kind": "bullet" if n.get("bullet") else "p",
            "text": fill(n["text"], ctx),
            "label": True,
            "elements": [],
        }
        for n in negs.get(section, [])
    ]


def _section_start(
    items: list[dict[str, Any]],
    title: str,
    template: str,
    faux: bool = False,
    new_page: bool = True,
) -> None:
    if new_page:
        items.append({"kind": "template", "name": template})
        items.append({"kind": "pagebreak"})
    else:
        items.append({"kind": "spacer", "height": 14})
    items.append({"kind": "faux_h1" if faux else "h1", "text": title})


def _locality_action_plans(
    plan: dict[str, Any], shared: dict[str, Any], rng: random.Random, ctx: dict[str, Any]
) -> list[dict[str, Any]]:
    """One page per locality with its own action table (the longer plans carry these)."""
    items: list[dict[str, Any]] = []
    for name in plan.get("localities", []):
        loc = {**ctx, "loc": name}
        items += [
            {"kind": "pagebreak"},
            {"kind": "h2", "text": f"Locality action plan: {name}"},
            {"kind": "p", "text": fill(rng.choice(shared["locality_plan_intro"]), loc)},
        ]
        rows = [
            {"cells": [fill(c, loc) for c in row], "label": False, "elements": []}
            for row in _pick(rng, shared["locality_actions"], 6)
        ]
        items.append(
            {
                "kind": "table",
                "columns": ["Action", "Lead", "Timescale", "Measure"],
                "widths": [0.46, 0.2, 0.12, 0.22],
                "rows": rows,
            }
        )
    return items


def _localities(
    plan: dict[str, Any], shared: dict[str, Any], rng: random.Random, ctx: dict[str, Any]
) -> list[dict[str, Any]]:
    """Short locality profiles (used by the longer plans)."""
    items: list[dict[str, Any]] = []
    for name in plan.get("localities", []):
        loc = {
            **ctx,
            "loc": name,
            "loc_children": f"{rng.randrange(18, 90) * 100:,}",
            "loc_poverty": rng.randrange(90, 340) / 10,
            "loc_simd": rng.randrange(0, 45),
            "loc_schools": rng.randrange(3, 16),
        }
        items.append({"kind": "h2", "text": f"{name} locality"})
        items += [
            {"kind": "p", "text": fill(t, loc)} for t in _pick(rng, shared["locality_paras"], 2)
        ]
    return items


def compose_plan(plan: dict[str, Any], shared: dict[str, Any]) -> PlanDocument:
    """Build the renderer's document (metadata + story items) for one plan data file."""
    labels = plan_labels(plan)
    rng = random.Random(int(plan["seed"]))
    ctx = _context(plan, rng)
    layout = plan.get("layout", {})
    two_col = set(layout.get("two_column", [])) - {"measuring"}  # wide indicator table
    compact = bool(layout.get("compact", False))
    faux = set(layout.get("faux_bold", []))
    negs = _negatives(shared, rng)
    where = labels.plan_id
    sp = shared

    def tmpl(name: str) -> str:
        return "two" if name in two_col and not compact else "one"

    items: list[dict[str, Any]] = [
        {"kind": "spacer", "height": 150},
        {"kind": "cover_title", "text": plan["partnership"]},
        {"kind": "cover_sub", "text": f"Children's Services Plan {ctx['years']}"},
        {"kind": "cover_sub", "text": fill(rng.choice(sp["cover_taglines"]), ctx)},
        {"kind": "cover_note", "text": SYNTHETIC_NOTE},
    ]

    engagement_title = fill(plan["engagement"]["title"], ctx)
    early = layout.get("engagement_position", "early") == "early"
    sections = [
        "Foreword",
        "Our vision for children and young people",
        f"About {plan['area']}: our children and their needs",
    ]
    if early:
        sections.append(engagement_title)
    sections += ["Our priorities", "Action plan"]
    if not early:
        sections.append(engagement_title)
    sections += ["Governance and partnership working", "Measuring success", "Appendices"]

    # contents + foreword
    _section_start(items, "Contents", "one")
    items += [{"kind": "toc", "text": f"{i}. {title}"} for i, title in enumerate(sections, 1)]
    items.append({"kind": "spacer", "height": 18})
    items.append({"kind": "h1", "text": "Foreword"})
    items += [{"kind": "p", "text": fill(t, ctx)} for t in _pick(rng, sp["foreword"], 2)]
    items += blocks_to_items(plan.get("foreword", []), ctx, where)
    items += _neg_items(negs, "foreword", ctx)
    items.append({"kind": "p", "text": fill(rng.choice(sp["signatories"]), ctx)})

    # vision
    _section_start(items, sections[1], tmpl("vision"), "vision" in faux)
    items.append({"kind": "p", "text": fill(rng.choice(sp["vision"]["statements"]), ctx)})
    items += [{"kind": "p", "text": fill(t, ctx)} for t in _pick(rng, sp["vision"]["paras"], 2)]
    items.append({"kind": "h2", "text": "Wellbeing of every child"})
    items += [{"kind": "bullet", "text": t} for t in sp["vision"]["wellbeing"]]
    items.append({"kind": "p", "text": fill(rng.choice(sp["vision"]["rights"]), ctx)})

    # local needs
    _section_start(items, sections[2], tmpl("needs"), "needs" in faux, new_page=not compact)
    items.append({"kind": "p", "text": fill(rng.choice(sp["needs"]["intro"]), ctx)})
    for group in sp["needs"]["groups"]:
        items.append({"kind": "h2", "text": group["heading"]})
        items += [{"kind": "p", "text": fill(t, ctx)} for t in _pick(rng, group["paras"], 2)]
    items += _neg_items(negs, "needs", ctx)
    if plan.get("localities"):
        items.append({"kind": "h2", "text": "Our localities"})
        items += _localities(plan, sp, rng, ctx)
    glance_rows = [
        {"cells": [fill(c, ctx) for c in r], "label": False, "elements": []}
        for r in sp["needs"]["table"]
    ]
    items.append({"kind": "h2", "text": f"{plan['area']} at a glance"})
    items.append(
        {
            "kind": "table",
            "columns": ["Indicator", plan["area"], "Scotland"],
            "widths": [0.56, 0.22, 0.22],
            "rows": glance_rows,
        }
    )

    engagement = [
        {"kind": "template", "name": tmpl("engagement")},
        {"kind": "pagebreak"},
        {"kind": "faux_h1" if "engagement" in faux else "h1", "text": engagement_title},
    ]
    engagement += blocks_to_items(plan["engagement"]["blocks"], ctx, where)
    engagement += _neg_items(negs, "engagement", ctx)
    if early:
        items += engagement

    # priorities: those named by the plan's own action rows, the rest by seeded choice
    priorities = _choose_priorities(sp["priorities"], plan, rng, where)
    _section_start(
        items, "Our priorities", tmpl("priorities"), "priorities" in faux, new_page=not compact
    )
    items.append({"kind": "p", "text": fill(rng.choice(sp["priorities_intro"]), ctx)})
    items += blocks_to_items(plan.get("priorities", []), ctx, where)
    for num, pri in enumerate(priorities, 1):
        items.append({"kind": "h2", "text": f"Priority {num}: {pri['title']}"})
        items.append({"kind": "p", "text": fill(pri["text"], ctx)})
    items += _neg_items(negs, "priorities", ctx)

    # action plan (always single column: the table is wide)
    _section_start(items, "Action plan", "one", "actions" in faux)
    items.append({"kind": "p", "text": fill(rng.choice(sp["actions_intro"]), ctx)})
    rows: list[dict[str, Any]] = []
    for num, pri in enumerate(priorities, 1):
        for action in _pick(rng, pri["actions"], 3):
            cells = [f"{num}. {pri['title']}", *[fill(c, ctx) for c in action["cells"]]]
            # pool rows flagged `neg` are intent-only actions: labelled hard negatives
            rows.append({"cells": cells, "label": bool(action.get("neg")), "elements": []})
    titles = [pri["title"] for pri in priorities]
    for extra in plan.get("actions", []):
        num = titles.index(extra["priority"]) + 1
        cells = [f"{num}. {extra['priority']}", *[fill(c, ctx) for c in extra["cells"]]]
        rows.append({"cells": cells, **_labelled(extra, where)})
    rows.sort(key=lambda r: int(str(r["cells"][0]).split(".")[0]))
    items.append(
        {"kind": "table", "columns": ACTION_COLUMNS, "widths": ACTION_WIDTHS, "rows": rows}
    )
    items += _neg_items(negs, "actions", ctx)

    if not early:
        items += engagement

    # governance
    _section_start(
        items, "Governance and partnership working", tmpl("governance"), "governance" in faux
    )
    items += [{"kind": "p", "text": fill(t, ctx)} for t in _pick(rng, sp["governance"], 2)]
    items.append({"kind": "h2", "text": "Our statutory partners"})
    items += [{"kind": "bullet", "text": fill(t, ctx)} for t in sp["statutory_partners"]]
    items += _neg_items(negs, "governance", ctx)
    items += blocks_to_items(plan.get("governance", []), ctx, where)

    # measuring success
    _section_start(items, "Measuring success", "one", "measuring" in faux, new_page=not compact)
    items += [{"kind": "p", "text": fill(t, ctx)} for t in _pick(rng, sp["measuring"], 2)]
    items += _neg_items(negs, "measuring", ctx)
    items += blocks_to_items(plan.get("measuring", []), ctx, where)
    ind_rows = [
        {"cells": [fill(c, ctx) for c in r], "label": False, "elements": []}
        for r in _pick(rng, sp["indicators"], 6)
    ]
    items.append({"kind": "h2", "text": "Core indicators"})
    items.append(
        {
            "kind": "table",
            "columns": ["Indicator", "Baseline", "Source", "Ambition"],
            "widths": [0.40, 0.16, 0.26, 0.18],
            "rows": ind_rows,
        }
    )

    # appendices
    _section_start(items, "Appendices", "one")
    items.append({"kind": "p", "text": fill(rng.choice(sp["appendix_intro"]), ctx)})
    items += blocks_to_items(plan.get("appendix", []), ctx, where)
    if layout.get("locality_action_plans"):
        items += _locality_action_plans(plan, sp, rng, ctx)
    if scan := plan.get("scan"):
        blocks = []
        for block in scan["blocks"]:
            block = {"p": block} if isinstance(block, str) else block
            text = fill(block.get("p") or block.get("b", ""), ctx)
            blocks.append({"text": text, "bullet": "b" in block, **_labelled(block, where)})
        items += [
            {"kind": "template", "name": "scan"},
            {"kind": "pagebreak"},
            {
                "kind": "scan",
                "title": fill(scan["title"], ctx),
                "blocks": blocks,
                "page_label": fill(scan.get("page_label", "Scanned copy"), ctx),
                "seed": int(plan["seed"]),
            },
            {"kind": "template", "name": "one"},
            {"kind": "pagebreak"},
        ]
    items.append({"kind": "h2", "text": "Glossary"})
    gloss = [{"cells": r, "label": False, "elements": []} for r in sp["glossary"]]
    items.append(
        {"kind": "table", "columns": ["Term", "Meaning"], "widths": [0.25, 0.75], "rows": gloss}
    )
    items.append({"kind": "h2", "text": "Related strategies and plans"})
    items += [{"kind": "bullet", "text": fill(t, ctx)} for t in _pick(rng, sp["strategies"], 5)]

    return PlanDocument(
        plan_id=labels.plan_id,
        title=f"{plan['partnership']} Children's Services Plan {plan['cycle']} (synthetic sample)",
        partnership=plan["partnership"],
        cycle=plan["cycle"],
        accent=plan.get("accent", "#1f4e79"),
        items=items,
        hyphenate=bool(layout.get("hyphenate", False)),
    )
