from pathlib import Path

import pytest

from viralclipper.pipeline.files import atomic_output, write_text_atomic


def test_two_writers_of_one_file_do_not_collide(tmp_path: Path):
    target = tmp_path / "cache" / "audio.wav"
    with atomic_output(target) as first, atomic_output(target) as second:
        assert first != second and first.suffix == second.suffix == ".wav"
        first.write_text("one")
        second.write_text("two")
    assert target.read_text() == "one"  # the last rename wins; nothing is lost or half-written
    assert [p.name for p in target.parent.iterdir()] == ["audio.wav"]


def test_a_failed_write_leaves_nothing(tmp_path: Path):
    target = tmp_path / "clip.mp4"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("ffmpeg died")
    assert list(tmp_path.iterdir()) == []


def test_write_text_atomic(tmp_path: Path):
    assert write_text_atomic(tmp_path / "a" / "b.json", "{}").read_text() == "{}"
