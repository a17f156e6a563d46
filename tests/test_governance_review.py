"""Documentation review and the regulatory mapping, through the command line and the library.

The mapping test fails when any validation test the library defines,
or any section of a validation notebook, has no regulatory mapping. A second test proves it can fail.
"""
import json, sys, textwrap
from pathlib import Path
import pytest
from conftest import REPO, mrm, store_scalar


def test_every_validation_test_and_report_section_is_mapped():
    from mrm_research.governance.regulation import load_regulatory_map, notebook_sections, unmapped, validation_checks
    mapping, checks = load_regulatory_map(), validation_checks()
    assert len(checks) >= 26, checks  # every CheckDefinition of the library was found
    assert unmapped(mapping, list(checks))["checks"] == [], "validation tests without a regulatory mapping"
    for notebook in sorted((REPO / "nbs" / "validation").glob("*.ipynb")):
        sections = notebook_sections(notebook)
        assert sections, notebook
        assert unmapped(mapping, [], sections)["sections"] == [], f"{notebook.name}: report sections without a regulatory mapping"


def test_a_new_validation_test_without_mapping_is_found(tmp_path, monkeypatch):
    package = tmp_path / "bank_checks"; package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "vendor.py").write_text(textwrap.dedent("""
        from mrm_research.checks import CheckDefinition
        VENDOR_SCORE_CHECK = CheckDefinition("vendor score reconciliation", "p", "m", "r", "h", "l")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    from mrm_research.governance.regulation import load_regulatory_map, unmapped, validation_checks
    found = validation_checks("bank_checks")
    assert found == {"vendor score reconciliation": "bank_checks.vendor"}
    assert unmapped(load_regulatory_map(), list(found))["checks"] == ["vendor score reconciliation"]


def test_a_banks_own_map_gives_its_own_coverage(tmp_path):
    from mrm_research.governance.regulation import coverage
    own = tmp_path / "map.yaml"
    own.write_text(textwrap.dedent("""
        name: Bank X control map
        version: 7
        frameworks: {Policy MRM-01: the bank's model risk policy}
        elements:
          accuracy: {title: Accuracy, Policy MRM-01: [section 4.2 performance standards]}
        checks: {discrimination: [accuracy]}
        sections: {Results: [accuracy]}
    """))
    result = coverage(["discrimination", "population stability"], ["Results", "Data"], own)
    assert result.evidence == {"accuracy": ["section 'Results'", "check 'discrimination'"]}
    assert result.not_mapped == {"checks": ["population stability"], "sections": ["Data"]}
    assert result.by_framework().to_dict("records") == [{"framework": "Policy MRM-01", "provisions evidenced": 1, "provisions in the map": 1}]
    (tmp_path / "broken.yaml").write_text("frameworks: {A: a}\nelements: {e: {title: E}}\nchecks: {c: [e]}\nsections: {}\n")
    with pytest.raises(Exception, match="element 'e': says nothing for framework 'A'"): coverage([], [], tmp_path / "broken.yaml")


DOCUMENT = """# Liquidity stress model

## Purpose and intended use
{purpose}

## Data sources
Daily deposit balances from the general ledger since 2015.

## Methodology
{method}

## Assumptions and limitations
{limits}

## Performance testing
{performance}

## Implementation
{implementation}

## Monitoring plan
{monitoring}

## Version history
2025-01: first release. 2025-06: run-off rates recalibrated after the March outflows.
"""


def _document(**overrides) -> str:
    words = lambda n, text: " ".join([text] * n)
    parts = dict(purpose=words(20, "outflow projection for the liquidity buffer"), method=words(30, "behavioural run-off model by segment"),
                 limits=words(10, "the main limitation is the short history"), performance=words(20, "back-tested against the 2020 and 2023 outflows"),
                 implementation=words(10, "runs nightly in the treasury system"), monitoring=words(10, "outflows compared monthly with a threshold of ten percent"))
    return DOCUMENT.format(**{**parts, **overrides})


def test_documentation_review_of_markdown_word_and_pdf(tmp_path, store_url):
    import pypandoc, typst
    text = _document(method="")  # an empty methodology, and a data section too thin
    (tmp_path / "doc.md").write_text(text)
    pypandoc.convert_text(text, "docx", format="gfm", outputfile=str(tmp_path / "doc.docx"))
    (tmp_path / "doc.typ").write_text(pypandoc.convert_text(text, "typst", format="gfm", extra_args=["--standalone"]))
    (tmp_path / "doc.pdf").write_bytes(typst.compile(str(tmp_path / "doc.typ")))
    for name in ("doc.md", "doc.docx", "doc.pdf"):
        result = mrm("docs", "review", tmp_path / name, "--model-id", "LIQ-STRESS", "--store", store_url, "--actor", "validator", check=1)
        assert "6 of 8 required sections complete" in result.stdout, (name, result.stdout)
        assert "[thin] Data" in result.stdout and "[empty] Methodology" in result.stdout and "Why it is required" in result.stdout
    assert store_scalar(store_url, "SELECT COUNT(*) FROM findings WHERE model_id = 'LIQ-STRESS'") == 6  # three files, two gaps each
    again = mrm("docs", "review", tmp_path / "doc.md", "--model-id", "LIQ-STRESS", "--store", store_url, check=1)
    assert "0 finding(s) recorded, 2 already recorded" in again.stdout
    assert store_scalar(store_url, "SELECT severity FROM findings WHERE model_id = 'LIQ-STRESS' AND title LIKE '%Methodology empty' LIMIT 1") == "high"
    listed = mrm("findings", "list", "--store", store_url, check=0)
    assert "documentation: Methodology empty" in listed.stdout


def test_complete_documentation_passes_and_bad_input_is_one_clear_error(tmp_path):
    (tmp_path / "good.md").write_text(_document(method=" ".join(["behavioural run-off model by segment"] * 30),
                                                ).replace("Daily deposit balances from the general ledger since 2015.", " ".join(["daily deposit balances from the ledger"] * 20)))
    result = mrm("docs", "review", tmp_path / "good.md", check=0)
    assert "8 of 8 required sections complete" in result.stdout
    (tmp_path / "template.yaml").write_text("sections:\n  - id: a\n    title: A\n")
    bad = mrm("docs", "review", tmp_path / "good.md", "--template", tmp_path / "template.yaml", check=2)
    assert "section 1 (a): 'reason' is required" in bad.stderr
    (tmp_path / "notes.odt").write_text("x")
    assert "cannot review a '.odt' document" in mrm("docs", "review", tmp_path / "notes.odt", check=2).stderr
    assert "purpose_and_use" in mrm("docs", "template", check=0).stdout
