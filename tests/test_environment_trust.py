"""Trust: Jupyter's own notebook signatures (nbformat's notary) decide, as in Jupyter."""

from __future__ import annotations

import nbformat
from nbformat.sign import NotebookNotary

from envspec.environments.trust import is_trusted


def _notebook(path, source="print(1)"):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(notebook, path)
    return notebook


def test_a_notebook_signed_by_jupyter_is_trusted_and_an_edited_one_is_not(tmp_path):
    data = tmp_path / "jupyter-data"
    path = tmp_path / "analysis.ipynb"
    notebook = _notebook(path)
    assert not is_trusted(path, data_dir=str(data))
    assert not data.exists()  # checking created nothing
    data.mkdir()
    assert not is_trusted(path, data_dir=str(data))
    assert list(data.iterdir()) == []
    notary = NotebookNotary(data_dir=str(data))
    notary.sign(notebook)
    notary.store.close()
    assert is_trusted(path, data_dir=str(data))
    _notebook(path, source="import os; os.system('rm -rf ~')")  # changed by someone else
    assert not is_trusted(path, data_dir=str(data))


def test_anything_but_a_readable_notebook_is_not_trusted(tmp_path):
    (tmp_path / "env.envspec.yaml").write_text('env_ver: "1.0"\n')
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert not is_trusted(tmp_path / "env.envspec.yaml", data_dir=str(tmp_path))
    assert not is_trusted(tmp_path / "broken.ipynb", data_dir=str(tmp_path))
    assert not is_trusted(tmp_path / "missing.ipynb", data_dir=str(tmp_path))
    assert not is_trusted(tmp_path, data_dir=str(tmp_path))
