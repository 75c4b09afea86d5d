"""The text cache stays bounded by pixels: numbers that change all day cannot grow memory."""

import pygame
import pytest

from game.ui import TEXT_CACHE_BYTES, Canvas


@pytest.fixture(autouse=True)
def _pygame_quit_after():
    yield
    pygame.quit()  # pygame.init() opens SDL's sockets (its event and device watching); quit closes them


def test_text_cache_is_bounded_by_pixels_and_keeps_the_newest():
    pygame.init()
    canvas = Canvas(pygame.Surface((1920, 1080)))
    for n in range(400):  # big, all different: like "squeezes today" over many days
        canvas.text_surface(f"{n} squeezes today", 96, (255, 255, 255), True)
    held = sum(s.get_width() * s.get_height() * s.get_bytesize() for s in canvas._text_cache.values())
    assert held == canvas._text_bytes <= TEXT_CACHE_BYTES
    assert len(canvas._text_cache) < 400
    newest = canvas.text_surface("399 squeezes today", 96, (255, 255, 255), True)
    assert newest is canvas.text_surface("399 squeezes today", 96, (255, 255, 255), True)  # still cached
    assert ("0 squeezes today", round(96 * canvas.scale), (255, 255, 255), True) not in canvas._text_cache


def test_small_text_still_keeps_many_entries():
    pygame.init()
    canvas = Canvas(pygame.Surface((1280, 720)))
    for n in range(500):
        canvas.text_surface(str(n), 20, (255, 255, 255))
    assert len(canvas._text_cache) == 500  # small surfaces: the entry cap, not the pixel cap, applies
