"""README's Python examples run as pasted: each ```python block on its own, in a fresh namespace,
in an empty directory (the reductions example reads `formula.cnf`, written here from a planted
3-SAT formula, as a user's own file would be)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks() -> list[tuple[str, str]]:
    text = README.read_text()
    blocks = []
    for match in BLOCK.finditer(text):
        heading = re.findall(r"^## (.+)$", text[: match.start()], re.M)[-1]
        blocks.append((f"{heading} @ line {text[: match.start()].count(chr(10)) + 1}", match.group(1)))
    return blocks


def test_the_readme_has_python_examples():
    assert len(python_blocks()) >= 5


@pytest.mark.parametrize("where,code", python_blocks(), ids=[w for w, _ in python_blocks()])
def test_readme_python_block_runs(where, code, tmp_path, monkeypatch):
    if "torch" in code:
        pytest.importorskip("torch")
        pytest.importorskip("onnxruntime")
    from reductions.dimacs import write_dimacs
    from reductions.generators import planted_ksat

    monkeypatch.chdir(tmp_path)
    write_dimacs(planted_ksat(10, 4.0, seed=0)[0], tmp_path / "formula.cnf")
    exec(compile(code, f"README.md ({where})", "exec"), {"__name__": "__readme__"})


SHELL = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
CHEAP = ("random-net", "make-instance", "invert", "export")  # seconds at most; demo, bench, suites are tested apart


def shell_commands() -> list[str]:
    """README's complete ``milpinv`` commands of the cheap subcommands, in README order (commands with
    ``[OPTIONS]`` or ``...`` placeholders are syntax, not examples)."""
    commands = []
    for block in SHELL.findall(README.read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            words = line.split("#")[0].split()
            placeholder = any(w.startswith("[") or "..." in w for w in words)
            if words[:1] == ["milpinv"] and words[1] in CHEAP and not placeholder:
                commands.append(" ".join(words))
    return commands


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("readme")


def test_the_readme_shows_make_instance_commands():
    assert sum(" make-instance " in c for c in shell_commands()) >= 4


@pytest.mark.parametrize("command", shell_commands())
def test_readme_shell_command_runs(command, workdir, monkeypatch, cli):
    """In one directory, in README order (later commands read the files earlier ones write)."""
    monkeypatch.chdir(workdir)
    code, out, err = cli(*command.split()[1:])
    assert code == 0 and not err.strip(), (command, out, err)


@pytest.mark.parametrize("extra", ["torch", "onnx", "dask", "examples", "docs", "bench"])
def test_the_install_table_names_what_each_user_extra_brings(extra):
    """Audit: README's extras table said the torch extra brings torch, and setup.cfg also installs
    onnxscript (torch's default ONNX exporter needs it): each package of a user extra is in its row."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(README.parent / "setup.cfg")
    wanted = [re.split(r"[\[<>=;! ]", line.strip())[0] for line in cfg["options.extras_require"][extra].split("\n")]
    row = re.search(rf"^\| `{extra}` \| (.*?) \|", README.read_text(), re.M)
    assert row, f"no row for the {extra} extra"
    missing = [name for name in wanted if name and name not in row.group(1)]
    assert not missing, f"README's row for {extra} omits {missing}"
