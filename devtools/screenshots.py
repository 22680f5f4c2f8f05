"""Screenshots of every page at desktop and phone width: `python -m devtools.screenshots` (make screenshots).

Starts a throwaway Kite (SQLite, embedded SeaweedFS and Valkey, a web server and
a worker, all in a temporary directory), seeds a demo account with topics and a
few real documents through the REST API, and saves PNGs into docs/screenshots/.
Exits non-zero if any page logs a console error.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import requests

from devtools.devstack import BASE_DIR, PYTHON, KiteProcess, log, manage, start_embedded, stop_all
from devtools.embedded import ChildProcess, SeaweedFS, free_port_block, wait_for_port
from devtools.testing import scans
from devtools.testing.samples import make_docx, make_pdf, make_pdf_pages

OUT_DIR = BASE_DIR / "docs" / "screenshots"
WIDTHS = {"desktop": (1280, 860), "phone": (375, 812)}
USERNAME, PASSWORD = "robin", "a demo passphrase 42"
# This Kite starts its own of everything, whatever the environment names.
EXTERNAL_SERVICES = ("DATABASE_URL", "BROKER_URL")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

TOPICS = [
    ("Invoices", "Bills, invoices and receipts: amounts due, payment, consulting, electricity"),
    ("Housing", "Rent, tenancy agreement, apartment, landlord, deposit"),
    ("Travel", "Trips, flights, hotels, itinerary, train tickets"),
    ("Taxes", "Tax returns, tax office, deductions"),
]


def _png(width: int, height: int) -> bytes:
    """A small gradient PNG, made without an imaging library."""
    rows = b"".join(
        b"\x00" + bytes(channel for x in range(width) for channel in (40 + x % 200, 90 + y % 150, 180))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def sample_documents() -> list[tuple[str, str, bytes]]:
    return [
        (
            "Invoice 2031 - Northwind consulting.pdf",
            "application/pdf",
            make_pdf(
                "Northwind Consulting - Invoice 2031. Consulting services in March: 12 hours at 95 EUR. "
                "Amount due 1140 EUR, payment by bank transfer within 30 days. Thank you for your business."
            ),
        ),
        (
            "Tenancy agreement.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            make_docx(
                [
                    "Tenancy agreement for the apartment at 4 Harbour Street.",
                    "The landlord lets the apartment to the tenant from 1 May. Monthly rent 950 EUR, deposit 2850 EUR.",
                ],
                table=[["Rent", "950 EUR"], ["Deposit", "2850 EUR"]],
            ),
        ),
        (
            "Lisbon trip.txt",
            "text/plain",
            b"Trip to Lisbon, 12-16 June.\nFlights: TP 1351 out on Thursday 08:40, back Monday 19:10.\n"
            b"Hotel: Casa do Rio, three nights, breakfast included.\nTrain to Sintra on Saturday.\n",
        ),
        (
            "Electricity bill March.pdf",
            "application/pdf",
            make_pdf_pages(
                [
                    "City Power - electricity bill for March. Consumption 312 kWh. Amount due 96.40 EUR.",
                    "Payment by direct debit on 15 April. Invoice number CP-0331.",
                ]
            ),
        ),
        ("Harbour photo.png", "image/png", _png(320, 200)),
        (
            "Market receipt.jpg",
            "image/jpeg",
            scans.encoded(
                scans.photo(
                    "Saturday market, stall 14\nVegetables and bread 18.40 EUR\nPaid by card, thank you"
                ).convert("RGB"),
                "JPEG",
                quality=80,
            ),
        ),
    ]


class LoggedKiteProcess(KiteProcess):
    """A web server or worker whose output goes to a log file in the temporary directory, not the terminal."""

    def __init__(self, name: str, args: list[str], env: dict, log_path: Path) -> None:
        ChildProcess.__init__(self)
        self.name = name
        self.log_file = open(log_path, "ab")
        self.proc = subprocess.Popen(
            args, env=env, cwd=BASE_DIR, start_new_session=True, stdout=self.log_file, stderr=subprocess.STDOUT
        )


class DemoKite:
    """A Kite of its own in a temporary directory, with everything `make run` starts."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.services = []
        base = free_port_block(SeaweedFS.PORTS + 2)
        self.s3_port, self.broker_port, self.web_port = base, base + SeaweedFS.PORTS, base + SeaweedFS.PORTS + 1
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in EXTERNAL_SERVICES and not k.startswith("S3_")},
            "DEBUG": "true",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{tmp / 'kite.sqlite3'}",
            "KITE_VAR_DIR": str(tmp),
            "KITE_UPLOAD_ORIGINS": self.url,
            "KITE_DEFAULT_QUOTA_BYTES": str(5 * 1024 * 1024),
            "LOG_LEVEL": "WARNING",
        }

    def start(self) -> None:
        self.services += start_embedded(self.tmp, self.env, self.s3_port, self.broker_port, persist=False)
        log("migrating a throwaway database")
        quiet = {**self.env, "PYTHONWARNINGS": "ignore"}
        subprocess.run(
            [PYTHON, str(BASE_DIR / "manage.py"), "migrate", "--noinput"],
            env=quiet,
            cwd=BASE_DIR,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        manage(self.env, "ensure_bucket")
        worker = [PYTHON, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2"]
        self.services.append(LoggedKiteProcess("worker", worker, self.env, self.tmp / "worker.log"))
        web = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{self.web_port}", "--noreload"]
        self.services.append(LoggedKiteProcess("web", web, self.env, self.tmp / "web.log"))
        wait_for_port(self.web_port, 30)

    def stop(self) -> None:
        stop_all(self.services)

    def seed(self) -> None:
        """The demo account, its topics and documents, made the way a script would: through the REST API."""
        code = (
            "from accounts.services import user_create;"
            f"user_create(username={USERNAME!r}, password={PASSWORD!r}, email='robin@example.com')"
        )
        manage(self.env, "shell", "-c", code)
        answer = requests.post(
            f"{self.url}/api/auth/token/", json={"username": USERNAME, "password": PASSWORD, "name": "demo seeding"}
        )
        answer.raise_for_status()
        api = requests.Session()
        api.headers["Authorization"] = f"Token {answer.json()['token']}"
        for name, description in TOPICS:
            api.post(f"{self.url}/api/topics/", json={"name": name, "description": description}).raise_for_status()
        ids = []
        for filename, content_type, data in sample_documents():
            body = {
                "filename": filename,
                "size_bytes": len(data),
                "content_type": content_type,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            created = api.post(f"{self.url}/api/documents/upload-url/", json=body)
            created.raise_for_status()
            upload = created.json()["upload"]
            requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}).raise_for_status()
            document_id = created.json()["document"]["id"]
            api.post(f"{self.url}/api/documents/{document_id}/confirm/").raise_for_status()
            ids.append(document_id)
        deadline = time.monotonic() + 240  # the photo is read by OCR
        while time.monotonic() < deadline:
            states = [api.get(f"{self.url}/api/documents/{pk}/").json()["state"] for pk in ids]
            if not {"queued", "processing"} & set(states):
                break
            time.sleep(0.5)
        log(f"seeded {len(ids)} documents: {', '.join(states)}")
        # A document's life: a note, a share link, and one letter in the trash.
        invoice = next(
            pk for pk in ids if api.get(f"{self.url}/api/documents/{pk}/").json()["title"].startswith("Invoice")
        )
        note = {"text": "Paid by bank transfer on 14 March. Keep until 2037 for the tax office."}
        api.post(f"{self.url}/api/documents/{invoice}/notes/", json=note).raise_for_status()
        share = api.post(f"{self.url}/api/documents/{invoice}/shares/", json={"expires_in_days": 14})
        share.raise_for_status()
        self.share_url = share.json()["url"]
        api.delete(f"{self.url}/api/documents/{ids[-1]}/").raise_for_status()


PROGRESS_CAUGHT = (
    "() => [...document.querySelectorAll('.upload-item progress')].some(p => p.value > .2 && p.value < .9)"
)
UPLOADS_SETTLED = (
    "() => document.querySelectorAll('.upload-item[data-state=classified], .upload-item.failed').length >= 3"
)


def upload_files(directory: Path) -> list[Path]:
    """Two files that fit and one that is over the demo quota, to show progress, states and an error."""
    files = {
        "Annual report 2030.pdf": make_pdf("Annual report: revenue, costs and taxes.") + b"%" + os.urandom(400 * 1024),
        "Train tickets.txt": b"Train tickets for the trip to Porto: seats 41 and 42, coach 3.\n",
        "Scanned archive.pdf": make_pdf("Scanned archive") + b"%" + os.urandom(6 * 1024 * 1024),
    }
    directory.mkdir()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return [directory / name for name in files]


def shoot(kite: DemoKite) -> list[str]:
    from playwright.sync_api import sync_playwright

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    files = upload_files(kite.tmp / "upload")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        for label, viewport in WIDTHS.items():
            shoot_width(chromium, kite, label, viewport, files, errors)
        chromium.close()
    return errors


def shoot_width(chromium, kite: DemoKite, label: str, viewport: tuple[int, int], files: list[Path], errors: list[str]):
    width, height = viewport
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))

    def save(name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT_DIR / f"{name}-{label}.png"), full_page=True)

    page.goto(kite.url + "/")
    save("landing")
    page.goto(kite.url + "/accounts/signup/")
    save("signup")
    page.goto(kite.url + "/accounts/login/")
    save("login")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/documents/")
    save("documents")
    page.goto(kite.url + "/documents/?view=cards")
    save("documents-cards")
    page.get_by_label("Search").fill("payment")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=payment**")
    save("search")
    page.goto(kite.url + "/documents/")
    page.get_by_role("link", name="Invoice 2031 - Northwind consulting").click()
    # Chromium paints a cross-origin frame only once it has been on screen, and the PDF viewer after load.
    page.locator(".preview").scroll_into_view_if_needed()
    page.wait_for_timeout(700)
    save("document")
    page.get_by_role("link", name="Move to trash…").click()
    save("delete")
    page.goto(kite.url + "/topics/")
    save("topics")
    page.goto(kite.url + "/accounts/settings/")
    save("settings")
    page.goto(kite.url + "/documents/trash/")
    save("trash")
    page.goto(kite.url + "/activity/")
    save("activity")
    # The page a share link opens, for someone with no account.
    stranger = chromium.new_context(viewport={"width": width, "height": height})
    shared = stranger.new_page()
    shared.on("console", lambda m: errors.append(f"{shared.url}: {m.text}") if m.type == "error" else None)
    shared.goto(kite.share_url)
    shared.wait_for_load_state("networkidle")
    shared.screenshot(path=str(OUT_DIR / f"share-{label}.png"), full_page=True)
    stranger.close()
    # Dark mode, as the system asks for it.
    page.emulate_media(color_scheme="dark")
    page.goto(kite.url + "/documents/")
    save("documents-dark")
    page.get_by_role("link", name="Invoice 2031 - Northwind consulting").click()
    page.locator(".preview").scroll_into_view_if_needed()
    page.wait_for_timeout(700)
    save("document-dark")
    page.emulate_media(color_scheme="light")

    page.goto(kite.url + "/documents/upload/")
    save("upload-empty")
    # Slow the uplink so the progress bars are caught half way.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    throttle = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 160 * 1024}
    cdp.send("Network.emulateNetworkConditions", throttle)
    page.set_input_files("#files", [str(path) for path in files])
    page.wait_for_function(PROGRESS_CAUGHT)
    page.screenshot(path=str(OUT_DIR / f"upload-progress-{label}.png"), full_page=True)
    cdp.send("Network.emulateNetworkConditions", {**throttle, "latency": 0, "uploadThroughput": -1})
    page.wait_for_function(UPLOADS_SETTLED, timeout=60_000)
    save("upload-done")
    # Leave the demo account as it was for the other width.
    for link in page.locator(".upload-item.done a").all():
        page.request.post(kite.url + link.get_attribute("href") + "delete/", headers={"X-CSRFToken": _csrf(context)})
    context.close()


def _csrf(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kite-screenshots-") as tmp:
        kite = DemoKite(Path(tmp))
        try:
            kite.start()
            kite.seed()
            errors = shoot(kite)
        finally:
            kite.stop()
    for error in errors:
        log(f"console error: {error}")
    log(f"screenshots saved in {OUT_DIR.relative_to(BASE_DIR)}/")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
