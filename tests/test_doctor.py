"""quiz doctor: advice that works for how quiz was installed, shown as typed (rich must not eat `[torch]`)."""

from conftest import run_quiz

from quizcli.doctor import install_command


def test_a_clone_installs_its_own_extra(tmp_path):
    # a source tree (editable install from a clone) has its pyproject.toml beside the package
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'quiz-ml'\n")
    assert install_command("torch", tree=tmp_path) == f"cd {tmp_path} && pip install '.[torch]'"


def test_an_installed_wheel_spells_out_the_extra(tmp_path):
    torch = install_command("torch", tree=tmp_path)
    triton = install_command("triton", tree=tmp_path)
    assert torch.startswith("pip install 'torch") and "quiz-ml" not in torch
    assert "'torch" in triton and "'triton" in triton


def test_doctor_without_torch_shows_the_extra_literally(tmp_path, course):
    for name in ("torch", "triton"):  # shadow the real packages with ones that cannot be imported
        (tmp_path / "blocked" / name).mkdir(parents=True)
        (tmp_path / "blocked" / name / "__init__.py").write_text(f"raise ImportError('{name} blocked by the test')")
    result = run_quiz("doctor", env={"PYTHONPATH": str(tmp_path / "blocked"), "COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    assert "pip install '.[torch]'" in result.stdout and "pip install '.[triton]'" in result.stdout
    assert "quiz-ml" not in result.stdout
