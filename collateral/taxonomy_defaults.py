"""The stages and content types every library starts with (`init-db` seeds them)."""

DEFAULT_STAGES: tuple[str, ...] = (
    "Prospecting",
    "Discovery",
    "Demo",
    "Proposal",
    "Negotiation",
    "Onboarding",
    "Renewal",
)
DEFAULT_CONTENT_TYPES: tuple[str, ...] = (
    "Presentation",
    "Case study",
    "Datasheet",
    "Battlecard",
    "One-pager",
    "Whitepaper",
    "Video",
    "Pricing",
    "Proposal template",
)
