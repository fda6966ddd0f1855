"""The rating screen: one blind pair at a time, driven by single keys.

Everything shown comes from the pair's prompt and its two outputs, never from the run's
manifest, so no model name can reach the screen. Outputs are untrusted text: they are shown
as plain text (no markup), with control characters made visible rather than sent to the
terminal.

A pair of conversations (a multi-turn prompt) is shown turn by turn in one scrolling column:
each turn's user message, then Response 1 and Response 2 to it (side by side when wide), so
every answer is read next to the message it replies to. A single-turn pair keeps the
instruction box above the two response boxes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen, Screen
from textual.widget import AwaitMount, Widget
from textual.widgets import Static

from alpaca_bench.errors import AlpacaBenchError

from ._pairs import RatingPair, ShownTurn
from ._session import Choice, Progress, RatingSession

WIDE = 110  # columns from which the two responses sit side by side

KEYS = (
    "[b]1[/] first  [b]2[/] second  [b]t[/] tie  [b]b[/] both bad  [b]s[/] skip  "
    "[b]u[/] undo  [b]z[/] zoom  [b]?[/] help  [b]q[/] quit"
)

HELP = """\
Which response follows the instruction better?

  1  Response 1 is better
  2  Response 2 is better
  t  tie: equally good
  b  both bad: a tie, flagged for review
  s  skip: leave this pair for a later session
  u  undo your last rating and show that pair again
  q  quit: every rating is already saved; run the
     same command again to go on

  Tab        move between the boxes
  ↑ ↓ PgUp   scroll the highlighted box (or the mouse)
  z          zoom the highlighted box; z again to go back

A conversation is shown turn by turn; rate the
whole of it: every turn's response counts.

Which model wrote which response is hidden, and
which one is shown first is random.

Esc, ? or q closes this help."""


def plain(text: str) -> Content:
    """Untrusted text exactly as written: no markup, control characters shown as \\xNN."""
    text = text.replace("\r\n", "\n").replace("\t", "    ")
    shown = "".join(
        f"\\x{ord(ch):02x}" if ch != "\n" and unicodedata.category(ch) == "Cc" else ch for ch in text
    )
    return Content(shown)


def status_line(rater: str, progress: Progress) -> str:
    parts = [f"{rater}: {progress.rated}/{progress.total} rated"]
    if progress.skipped:
        parts.append(f"{progress.skipped} skipped")
    if progress.per_minute is not None and progress.seconds_each is not None:
        parts.append(f"{progress.per_minute:.1f}/min, {progress.seconds_each:.0f} s per rating")
    return " · ".join(parts)


class Box(VerticalScroll):
    """A scrollable box that says when it holds more than it shows (not every terminal draws a
    visible scrollbar)."""

    def on_mount(self) -> None:
        self.watch(self, "scroll_y", self._mark, init=False)
        self.watch(self, "virtual_size", self._mark_after_refresh, init=False)

    def on_resize(self) -> None:
        self._mark_after_refresh()

    def _mark_after_refresh(self) -> None:
        self.call_after_refresh(self._mark)

    def _mark(self) -> None:
        self.border_subtitle = "more: scroll ↓" if self.scroll_y < self.max_scroll_y else ""


class Conversation(Box):
    """The turns of a pair of conversations, scrolled as one column. Not a stop for Tab itself:
    its boxes are, and a key a box cannot use (↓ in a box that fits) scrolls the column."""

    can_focus = False


def turn_widgets(turn: ShownTurn, wide: bool) -> tuple[Widget, Container, Box]:
    """One turn: the user's message, then both responses to it; and its Response 1 box."""
    user = Box(
        Static(plain(turn.user or "(prompt text not available)")), classes="box turn-user", can_maximize=True
    )
    user.border_title = f"Turn {turn.number}: user"
    boxes = []
    for label, text in (("Response 1", turn.first), ("Response 2", turn.second)):
        shown = plain(text) if text is not None else Content("(no answer to this turn)")
        box = Box(Static(shown), can_maximize=True)
        box.add_class("box", "turn-response")
        box.border_title = f"Turn {turn.number}: {label}"
        boxes.append(box)
    responses = Container(*boxes, classes="turn-responses wide" if wide else "turn-responses")
    return user, responses, boxes[0]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Content(HELP))


class RatingScreen(Screen[None]):
    """The pair being rated; its bindings are off while the help screen is over it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "rate('first')", "first better"),
        Binding("2", "rate('second')", "second better"),
        Binding("t", "rate('tie')", "tie"),
        Binding("b", "rate('both_bad')", "both bad"),
        Binding("s", "skip", "skip"),
        Binding("u", "undo", "undo"),
        Binding("question_mark", "help", "help"),
        Binding("z", "zoom", "zoom"),
        Binding("q", "app.quit", "quit"),
    ]

    def __init__(self, session: RatingSession):
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Box(id="prompt", classes="box", can_maximize=True):
            yield Static(id="instruction")
            yield Static(id="input")
        with Container(id="responses"):
            for box in ("first", "second"):
                with Box(id=box, classes="box response", can_maximize=True):
                    yield Static(id=f"{box}-text")
        yield Conversation(id="conversation", classes="box")
        yield Static(id="done")
        yield Static(Content.from_markup(KEYS), id="keys")

    def on_mount(self) -> None:
        self.query_one("#prompt").border_title = "Instruction"
        self.query_one("#input").border_title = "Input"
        self.query_one("#first").border_title = "Response 1"
        self.query_one("#second").border_title = "Response 2"
        self.query_one("#conversation").border_title = "Conversation"
        self._arrange(self.app.size.width)
        self.show_pair()

    def on_resize(self, event: Resize) -> None:
        self._arrange(event.size.width)

    def _arrange(self, width: int) -> None:
        self.query_one("#responses").set_class(width >= WIDE, "wide")
        for responses in self.query(".turn-responses"):
            responses.set_class(width >= WIDE, "wide")

    def show_pair(self) -> None:
        pair = self.session.current
        self.query_one("#status", Static).update(
            Content(status_line(self.session.rater, self.session.progress()))
        )
        conversation = pair is not None and pair.is_conversation
        for selector in ("#prompt", "#responses"):
            self.query_one(selector).display = pair is not None and not conversation
        self.query_one("#conversation").display = conversation
        self.query_one("#done").display = pair is None
        if pair is None:
            self.minimize()
            self.query_one("#done", Static).update(Content(self._done_text()))
            return
        if conversation:
            self._show_conversation(pair)
            return
        self.query_one("#instruction", Static).update(plain(pair.prompt.instruction))
        self.query_one("#input", Static).update(plain(pair.prompt.input))
        self.query_one("#input").display = bool(pair.prompt.input.strip())
        for box, output in zip(("first", "second"), pair.shown, strict=True):
            self.query_one(f"#{box}-text", Static).update(plain(output))
        for box in ("#prompt", "#first", "#second"):
            self.query_one(box, VerticalScroll).scroll_home(animate=False)
        self.query_one("#first").focus()

    def _show_conversation(self, pair: RatingPair) -> None:
        """Replace the column's turns with this pair's; the first turn's Response 1 takes the
        focus, as the single-turn screen's does."""
        column = self.query_one("#conversation", Conversation)
        column.remove_children()
        wide = self.app.size.width >= WIDE
        widgets: list[Widget] = []
        first: Box | None = None
        for turn in pair.turns():
            user, responses, response = turn_widgets(turn, wide)
            widgets += [user, responses]
            first = first or response
        mounted = column.mount_all(widgets)
        column.scroll_home(animate=False)
        if first is not None:
            self.call_later(self._focus_once_mounted, mounted, first)

    async def _focus_once_mounted(self, mounted: AwaitMount, box: Box) -> None:
        """The new turns mount only once the old ones are gone; focus waits for that (a box the
        next pair replaced first has no screen, and textual ignores focusing it)."""
        await mounted
        box.focus(scroll_visible=False)

    def _done_text(self) -> str:
        progress = self.session.progress()
        text = f"All done: {progress.rated} of {progress.total} pairs rated."
        if progress.rated < progress.total:
            left = progress.total - progress.rated
            text = f"{left} pair(s) skipped; they come back the next time you run this command."
        return f"{text}\n\nu undo the last rating · q quit"

    def action_rate(self, choice: Choice) -> None:
        if self.session.current is not None:
            self._guarded(lambda: self.session.rate(choice))

    def action_skip(self) -> None:
        if self.session.current is not None:
            self._guarded(self.session.skip)

    def action_undo(self) -> None:
        if not self.session.can_undo:
            self.notify("nothing to undo", severity="warning")
            return
        self._guarded(self.session.undo)
        self.notify("last rating taken back")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None and self.session.current is not None:
            self.maximize(self.focused, container=False)

    def _guarded(self, act: Callable[[], object]) -> None:
        """Run a session step; a failed write ends the app with the error (shown as one line)."""
        try:
            act()
        except AlpacaBenchError as exc:
            self.app.exit(exc)
            return
        self.minimize()
        self.show_pair()


class RatingApp(App[AlpacaBenchError | None]):
    TITLE = "alpaca-bench rate"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+c", "quit", "quit", show=False, priority=True)]
    CSS = """
    #status { height: 1; padding: 0 1; background: $primary-background; }
    #keys { dock: bottom; height: 1; padding: 0 1; background: $panel; }
    .box { border: round $primary-lighten-1; padding: 0 1; }
    .box:focus { border: round $accent; }
    #prompt { height: auto; max-height: 35%; }
    #input { border-top: dashed $secondary; margin-top: 1; }
    #responses { height: 1fr; layout: vertical; }
    #responses.wide { layout: horizontal; }
    .response { height: 1fr; width: 1fr; }
    #conversation { height: 1fr; padding: 0; }
    .turn-user, .turn-response { height: auto; }
    .turn-user { border: round $secondary; margin-top: 1; }
    .turn-responses { height: auto; layout: vertical; }
    .turn-responses.wide { layout: horizontal; }
    .turn-response { width: 1fr; }
    .turn-user.-maximized, .turn-response.-maximized { height: 1fr; }
    #done { height: 1fr; content-align: center middle; text-align: center; }
    HelpScreen { align: center middle; }
    #help { width: 62; max-width: 100%; height: auto; max-height: 100%; padding: 0 1;
            border: round $accent; background: $surface; }
    """

    def __init__(self, session: RatingSession):
        super().__init__()
        self.session = session

    def get_default_screen(self) -> Screen[None]:
        return RatingScreen(self.session)
