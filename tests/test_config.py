"""SECRET_KEY, or a key made once and shared through a file by every worker."""

import stat

from app.config import Settings, secret_key


def test_secret_key_setting_wins(tmp_path):
    settings = Settings(secret_key="from-the-environment",
                        secret_key_file=tmp_path / ".peaceplan-secret")
    assert secret_key(settings) == "from-the-environment"
    assert not (tmp_path / ".peaceplan-secret").exists()


def test_without_one_a_key_is_made_once_and_kept_private(tmp_path):
    path = tmp_path / ".peaceplan-secret"
    settings = Settings(secret_key=None, secret_key_file=path)
    first = secret_key(settings)
    assert len(first) >= 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(settings) == first  # the next worker reads the same key
    assert [p.name for p in tmp_path.iterdir()] == [".peaceplan-secret"]
