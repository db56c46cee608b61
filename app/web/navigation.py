"""The site's sections, grouped the way a reader looks for them: the figures first, then who
stands where, then the record behind it all."""

from dataclasses import dataclass

from app.plan.kinds import KINDS


@dataclass(frozen=True)
class Item:
    label: str
    href: str

    def current(self, path: str) -> bool:
        """Whether `path` is this section or a page within it."""
        if self.href == "/":
            return path == "/"
        return path == self.href or path.startswith(self.href + "/")


@dataclass(frozen=True)
class Group:
    label: str
    items: tuple[Item, ...]


def _kinds(*slugs: str) -> tuple[Item, ...]:
    return tuple(Item(KINDS[slug].plural, f"/{slug}") for slug in slugs)


#: The name the change log goes by everywhere: the nav, its page, its feed. The editors'
#: list of every edit by person (with revert) is a tool apart, and named apart.
CHANGE_LOG = "Change log"
EDIT_HISTORY = "Edit history"

GROUPS = (
    Group("Figures", (Item("Overview", "/"), *_kinds("force-levels", "deployments", "assets",
                                                     "sites"),
                      Item("Map", "/map"), Item("Scenarios", "/scenarios"),
                      Item("Brief", "/brief"))),
    Group("Positions", _kinds("stakeholders", "stances", "demands")),
    Group("Record", (*_kinds("events", "sources", "plans"), Item(CHANGE_LOG, "/compare"),
                     Item("API", "/docs"))),
)
