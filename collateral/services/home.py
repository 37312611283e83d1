"""What a rep's home page gathers: the remembered deal and what fits it, their favourites,
what they used recently and the featured collections."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Asset
from .actor import Actor
from .collections import CollectionView, featured_collections
from .favourites import favourites, recently_used
from .recommendations import Deal, Recommendation, recommend, remembered_deal

HOME_RECOMMENDATIONS = 6
HOME_LIST = 8


@dataclass
class Home:
    deal: Deal
    recommendations: list[Recommendation]
    favourites: list[Asset]
    recent: list[Asset]
    featured: list[CollectionView]


def home_page(actor: Actor) -> Home:
    deal = remembered_deal(actor.user)
    return Home(
        deal,
        recommend(actor, deal, HOME_RECOMMENDATIONS),
        favourites(actor.user)[:HOME_LIST],
        recently_used(actor.user, HOME_LIST),
        featured_collections(actor),
    )
