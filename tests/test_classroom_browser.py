"""A classroom in real browsers: two students and the instructor, each in their own Chromium
context (their own cookies), against one ``tatamikomi serve --classroom`` server on 127.0.0.1.

Skipped, as tests/test_studio_browser.py is, when Chromium or Playwright is missing, except
under CI (``CI`` set), where they must be there. With ``TATAMIKOMI_SCREENSHOTS=docs/images`` the
screenshots (the student's join form and page with a prompt, the instructor's page; phone and
desktop, English and Japanese) are written there, else into a temporary folder."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tatamikomi import exercises, i18n
from tatamikomi.data import load_dataset
from tatamikomi.serve import api
from tatamikomi.serve.class_limits import default_limits

from . import test_studio_browser
from .support import serious_violations, violations
from .test_studio_browser import first, settle, trace

TOKEN = "secret-token"
browser = test_studio_browser.browser  # the one Chromium fixture, skipped or failed alike
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1360, "height": 900}


@pytest.fixture(scope="module")
def room(browser, tmp_path_factory):
    """The classroom server: ``url`` (the students') and ``instructor_url`` (with the token)."""
    from tatamikomi.serve import classroom
    from tatamikomi.serve.class_routes import running

    models = [("SimpleConvNet (MNIST)", api.default_model(), "pretrained", api.pretrained_path())]
    held = classroom.Classroom(models, save_dir=str(tmp_path_factory.mktemp("class")), token=TOKEN)
    with running(held, host="127.0.0.1") as server:
        yield server


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("TATAMIKOMI_SCREENSHOTS")
    return folder if folder else str(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="module")
def mini():
    return load_dataset("mnist-mini")


class Person:
    """One browser context (its own cookies) and its page; ``errors`` the page's script errors."""

    def __init__(self, browser, url, viewport=DESKTOP, lang="en"):
        self.context = browser.new_context(viewport=viewport, locale="en-US")
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")

    def close(self):
        self.context.close()
        assert self.errors == [], self.errors


def join(person, name):
    page = person.page
    page.wait_for_selector("[data-testid=join]:visible")
    page.fill("[data-testid=join-name]", name)
    page.click("#join-submit")
    page.wait_for_selector("body[data-ready=true]")
    settle(page)


@pytest.fixture(scope="module")
def aiko(browser, room):
    person = Person(browser, room.url)
    join(person, "Aiko")
    yield person
    person.close()


@pytest.fixture(scope="module")
def ben(browser, room):
    person = Person(browser, room.url)
    join(person, "Ben")
    yield person
    person.close()


@pytest.fixture(scope="module")
def teacher(browser, room):
    person = Person(browser, room.instructor_url)
    person.page.wait_for_selector("body[data-ready=true]")
    yield person
    person.close()


def api_call(page, method, path, body=None):
    """A request from ``page`` (its cookies, its origin): {status, answer}."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const options = {method, headers: {'Content-Type': 'application/json'}};
            if (body !== null) options.body = JSON.stringify(body);
            const response = await fetch(path, options);
            let answer = null;
            try { answer = await response.json(); } catch (error) { answer = null; }
            return {status: response.status, answer};
        }""",
        [method, path, body],
    )


def test_the_instructor_page_keeps_its_token_out_of_the_address_bar(teacher, room):
    page = teacher.page
    assert "token" not in page.url
    assert page.evaluate("Object.values(sessionStorage)") == [TOKEN]
    assert page.locator("[data-testid=student-url]").inner_text().startswith("http://")
    assert page.locator("[data-testid=qr] svg").count() == 1


def test_the_join_page_has_no_accessibility_finding(browser, room):
    person = Person(browser, room.url)
    try:
        person.page.wait_for_selector("[data-testid=join]:visible")
        every = ("minor", "moderate", "serious", "critical")
        assert violations(person.page, every) == []
    finally:
        person.close()


def test_two_students_join_and_the_instructor_sees_them(aiko, ben, teacher):
    assert aiko.page.locator("[data-testid=me]").inner_text() == i18n.template(
        "studio.class_you_are", "en"
    ).format(name="Aiko")
    assert "Ben" in ben.page.locator("[data-testid=me]").inner_text()
    names = teacher.page.locator("[data-testid=students] li")
    teacher.page.wait_for_function(
        "document.querySelectorAll('[data-testid=students] li').length >= 2"
    )
    assert {"Aiko", "Ben"} <= set(names.all_inner_texts())


def test_a_drawing_reaches_the_instructors_wall(aiko, ben, teacher, mini):
    seven = mini.x_test[np.flatnonzero(mini.t_test == 7)[2], 0]
    trace(aiko.page, seven)
    assert aiko.page.locator("[data-testid=prediction]").inner_text() == "7"
    tile = teacher.page.locator("[data-testid=wall] figure", has_text="Aiko")
    tile.wait_for(timeout=10000)
    assert tile.locator(".tile-guess").inner_text().startswith("7 (")
    assert tile.locator("canvas").count() == 1
    # Ben has drawn nothing: no tile of his
    assert teacher.page.locator("[data-testid=wall] figure", has_text="Ben").count() == 0


def test_a_labelled_drawing_counts_in_the_class_confusion_matrix(aiko, teacher, mini):
    page = aiko.page
    page.click("#clear")
    trace(page, mini.x_test[first(mini, 3), 0])
    page.select_option("[data-testid=send-digit]", "3")
    page.click("[data-testid=send]")
    settle(page)
    result = page.locator("[data-testid=send-result]")
    assert "right" in result.get_attribute("class")
    assert result.inner_text() == i18n.template("studio.class_send_right", "en").format(digit=3)
    cell = teacher.page.locator("#confusion td[data-drawn='3'][data-predicted='3']")
    teacher.page.wait_for_function(
        "(document.querySelector(\"#confusion td[data-drawn='3'][data-predicted='3']\")"
        " || {}).textContent === '1'",
        timeout=10000,
    )
    assert cell.inner_text() == "1"


def test_a_prompt_arrives_on_every_students_page(aiko, ben, teacher):
    teacher.page.fill("[data-testid=prompt-input]", "Draw a 7")
    teacher.page.select_option("[data-testid=prompt-digit]", "7")
    teacher.page.click("[data-testid=prompt-send]")
    for student in (aiko, ben):
        student.page.wait_for_selector("[data-testid=prompt]:visible", timeout=10000)
        assert student.page.locator("[data-testid=prompt-text]").inner_text() == "Draw a 7"
        live = student.page.locator("#prompt-live")
        assert live.get_attribute("aria-live") == "polite"
    # the prompt's digit is the one "I drew" says, until the student picks another
    assert ben.page.locator("[data-testid=send-digit]").input_value() == "7"
    ben.page.click("#prompt-close")
    assert ben.page.locator("[data-testid=prompt]").is_hidden()
    assert aiko.page.locator("[data-testid=prompt]").is_visible()
    teacher.page.wait_for_function(
        "document.querySelector('[data-testid=prompt-now]').textContent.includes('Draw a 7')"
    )


def start_training(page, epochs=1):
    page.click("[data-tab=training]")
    page.select_option("#train-dataset", "mnist-mini")
    page.fill("#train-epochs", str(epochs))
    page.click("#train-start")
    settle(page)


def state_starts_with(page, keys, timeout=120000):
    """Wait until the training panel's state line starts with one of the texts ``keys``."""
    texts = [i18n.template(key, "en").split("{")[0] for key in keys]
    page.wait_for_function(
        "(texts) => texts.some("
        "(s) => document.getElementById('train-state').textContent.startsWith(s))",
        arg=texts,
        timeout=timeout,
    )


def test_a_student_cannot_stop_another_students_run(aiko, ben, teacher):
    page = aiko.page
    # the class's most epochs (3), so that it is still running when the instructor stops it: a
    # 1-epoch run on mnist-mini could end before the steps below reach its Stop button (which
    # an ended run's row disables)
    start_training(page, epochs=default_limits()["max_epochs"])
    # one training at a time (the class's concurrency is 1): Ben's waits, and he sees his place
    start_training(ben.page)
    state_starts_with(ben.page, ["studio.class_state_queued"], timeout=10000)
    assert "1" in ben.page.locator("[data-testid=train-state]").inner_text()
    runs = teacher.page.locator("[data-testid=runs] tr", has_text="Aiko")
    runs.first.wait_for(timeout=10000)
    run = runs.first.get_attribute("data-run")
    # Ben, with his own cookie: another's run is not there for him, and the instructor's
    # endpoint is not his
    stopped = api_call(ben.page, "POST", "/api/train/stop", {"run": run})
    assert stopped["status"] == 404, stopped
    refused = api_call(ben.page, "POST", f"/api/class/runs/{run}/stop", {})
    assert refused["status"] in (401, 403), refused
    mine = api_call(aiko.page, "GET", "/api/train")
    assert mine["answer"]["state"] not in ("stopped", "stopping"), mine
    # the instructor can stop it: the Stop button of its row
    teacher.page.click(f"[data-testid=runs] tr[data-run='{run}'] button.stop")
    state_starts_with(page, ["studio.state_stopped", "studio.state_finished"])
    # Ben's run gets the core, and he stops it himself
    state_starts_with(ben.page, ["studio.state_loading", "studio.state_running"])
    ben.page.click("#train-stop")
    state_starts_with(ben.page, ["studio.state_stopped", "studio.state_finished"])
    page.click("[data-tab=draw]")
    ben.page.click("[data-tab=draw]")


def test_a_student_keeps_a_model_of_their_own(aiko):
    page = aiko.page
    page.click("[data-tab=draw]")
    spec = {
        "input_shape": [1, 28, 28],
        "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}],
    }
    made = api_call(page, "POST", "/api/models", {"spec": spec, "name": "mine.json"})
    assert made["status"] == 201, made
    page.reload()  # the list now has it
    page.wait_for_selector("body[data-ready=true]")
    listed = api_call(page, "GET", "/api/models")["answer"]["models"]
    own = [m for m in listed if m["shared"] is False]
    assert own, listed
    shared = next(m for m in listed if m["shared"])
    page.select_option("#model-select", shared["id"])
    assert page.locator("[data-testid=model-pin]").is_hidden()  # the class's: not one's to keep
    page.select_option("#model-select", own[0]["id"])
    pin = page.locator("[data-testid=model-pin]")
    assert pin.is_visible() and pin.get_attribute("aria-pressed") == "false"
    pin.click()
    page.wait_for_function(
        "document.querySelector('[data-testid=model-pin]').getAttribute('aria-pressed') === 'true'"
    )
    listed = api_call(page, "GET", "/api/models")["answer"]["models"]
    assert next(m for m in listed if m["id"] == own[0]["id"])["pinned"] is True
    pin.click()
    page.wait_for_function(
        "document.querySelector('[data-testid=model-pin]').getAttribute('aria-pressed') === 'false'"
    )
    page.select_option("#model-select", shared["id"])


def test_every_student_watches_the_class_training(aiko, teacher):
    teacher.page.select_option("#ct-dataset", "mnist-mini")
    teacher.page.fill("#ct-epochs", "1")
    teacher.page.click("[data-testid=class-train-start]")
    page = aiko.page
    page.click("[data-tab=training]")
    page.click("[data-testid=view-class]")
    page.wait_for_function(
        "Number(document.getElementById('loss-curve').dataset.points || 0) >= 3", timeout=60000
    )
    assert page.locator("#train-start").is_disabled()  # watched, not steered
    assert page.locator("#train-stop").is_disabled()
    state_starts_with(page, ["studio.state_finished", "studio.state_stopped"])
    assert page.locator("[data-testid=epochs] tbody tr").count() == 1
    page.click("#view-own")
    assert serious_violations(page) == []  # the run-view buttons, pressed or not, are readable
    page.click("[data-tab=draw]")


def test_the_instructor_exports_the_class(teacher):
    for button, check in (
        ("export-json", lambda text: "students" in json.loads(text)),
        ("export-csv", lambda text: "," in text.splitlines()[0]),
    ):
        with teacher.page.expect_download() as waiting:
            teacher.page.click(f"[data-testid={button}]")
        download = waiting.value
        with open(download.path(), encoding="utf-8") as f:
            assert check(f.read()), button
        assert download.suggested_filename.startswith("class")


def test_exercises_give_a_hint_then_the_worked_answer(ben, teacher):
    page = ben.page
    page.click("[data-tab=exercises]")
    page.wait_for_selector("[data-exercise=oh] input")
    assert page.locator("[data-exercise=oh] .question").inner_text() == exercises.question(
        "oh", "en"
    )
    answer = exercises.answer("oh")
    assert page.locator("[data-exercise=why_padding] .options li").count() == len(
        exercises.options("why_padding"))
    for wrong in (answer - 1, answer + 2):
        page.fill("#answer-oh", str(wrong))
        page.click("[data-exercise=oh] button")
        settle(page)
        if wrong == answer - 1:  # the first wrong answer: the mistake, a hint, not the answer
            assert page.locator("[data-testid=hint-oh]").is_visible()
            assert page.locator("[data-testid=mistake-oh]").inner_text() == exercises.check(
                "oh", wrong).feedback
            assert page.locator("[data-testid=worked-oh]").count() == 0
    worked = page.locator("[data-testid=worked-oh]").inner_text()  # the second: the answer
    assert str(answer) in worked
    # a shape typed with spaces is a list; right the first time
    shape = " ".join(str(n) for n in exercises.answer("im2col"))
    page.fill("#answer-im2col", shape)
    page.click("[data-exercise=im2col] button")
    settle(page)
    assert "right" in page.locator("[data-testid=feedback-im2col]").get_attribute("class")
    row = teacher.page.locator("[data-testid=answers] tr[data-exercise=oh]")
    row.wait_for(timeout=10000)
    teacher.page.wait_for_function(
        "(document.querySelector('[data-testid=answers] tr[data-exercise=oh] td.wrong')"
        " || {}).textContent === '2'",
        timeout=10000,
    )
    assert "Ben" not in teacher.page.locator("[data-testid=answers]").inner_text()  # anonymous


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_screenshots(browser, room, teacher, shots, size, lang):
    viewport = PHONE if size == "phone" else DESKTOP
    if not teacher.page.locator("[data-testid=prompt-now]").inner_text().startswith("Draw a 7"):
        teacher.page.fill("[data-testid=prompt-input]", "Draw a 7")
        teacher.page.select_option("[data-testid=prompt-digit]", "7")
        teacher.page.click("[data-testid=prompt-send]")
    student = Person(browser, room.url, viewport, lang)
    try:
        student.page.wait_for_selector("[data-testid=join]:visible")
        title = i18n.template("studio.class_join_title", lang)
        assert student.page.locator("#join h2").inner_text() == title
        student.page.screenshot(path=os.path.join(shots, f"classroom-join-{size}.{lang}.png"))
        join(student, "Hana" if lang == "en" else "花子")
        student.page.wait_for_selector("[data-testid=prompt]:visible", timeout=10000)
        student.page.screenshot(path=os.path.join(shots, f"classroom-student-{size}.{lang}.png"))
        student.page.click("[data-tab=exercises]")
        student.page.wait_for_selector("[data-exercise=oh] input")
        student.page.screenshot(path=os.path.join(shots, f"classroom-exercises-{size}.{lang}.png"))
    finally:
        student.close()
    instructor = Person(browser, room.instructor_url, viewport, lang)
    try:
        instructor.page.wait_for_selector("body[data-ready=true]")
        title = i18n.template("studio.class_instructor_title", lang)
        assert instructor.page.locator("h1").inner_text() == title
        instructor.page.screenshot(
            path=os.path.join(shots, f"classroom-instructor-{size}.{lang}.png"), full_page=True
        )
    finally:
        instructor.close()
