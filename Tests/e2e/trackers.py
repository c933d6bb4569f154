"""The tracker fakes the end-to-end tests run. Each fake lives in its tracker's folder
(`Sources/TicketSync/Trackers/<Name>/Fake/`), next to the code it stands in for; this module puts those folders on
the import path and names the fakes, so a test writes `from trackers import FakeJira`."""
import sys
from pathlib import Path

_TRACKERS = Path(__file__).resolve().parents[2] / "Sources" / "TicketSync" / "Trackers"
for _fake in sorted(_TRACKERS.glob("*/Fake")):
    if str(_fake) not in sys.path:
        sys.path.insert(0, str(_fake))

from atlassian_fake import FakeAtlassian  # noqa: E402
from jira_fake import FakeJira  # noqa: E402
from linear_fake import FakeLinear  # noqa: E402
from servicenow_fake import FakeServiceNow  # noqa: E402
from webhook_fake import Receiver  # noqa: E402

__all__ = ["FakeAtlassian", "FakeJira", "FakeLinear", "FakeServiceNow", "Receiver"]
