"""The README's example on a user's own data runs as printed."""
import contextlib
import io
import random
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_example():
    """The Python block of the README's 'Your own data' section."""
    section = README.read_text().split("# Your own data", 1)[1]   # ### here, ## in the release
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_own_data_example_trains_and_translates_strings(tmp_path, monkeypatch):
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdef") for _ in range(rng.randint(2, 5))) for _ in range(300)]
    (tmp_path / "pairs.tsv").write_text("".join(f"{w}\t{w[::-1]}\n" for w in words))
    monkeypatch.chdir(tmp_path)
    code = readme_example().replace("num_epochs=20", "num_epochs=2")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    lines = printed.getvalue().splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["1", "2"]       # one line per epoch
    assert all(re.fullmatch(r"\d+ \d\.\d{3} \d+\.\d s", line) for line in lines[:2]), lines
    translations = eval(lines[2])                                       # the printed list
    assert len(translations) == 3 and all(isinstance(t, str) and set(t) <= set("abcdef")
                                          for t in translations)
