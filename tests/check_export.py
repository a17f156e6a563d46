"Fail when mrm_research/ is out of sync with the notebooks in nbs/ (re-export, then compare)."
import hashlib, subprocess, sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "mrm_research"

def snapshot() -> dict[str, str]:
    "sha256 of every Python file under mrm_research/."
    return {str(p.relative_to(LIB)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(LIB.rglob("*.py"))}

before = snapshot()
subprocess.run([str(Path(sys.executable).parent / "nbdev_export")], check=True, cwd=LIB.parent)
after = snapshot()
changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
if changed:
    print("mrm_research/ was out of sync with nbs/ (it has now been re-exported; commit the result):", file=sys.stderr)
    for name in changed: print(f"  mrm_research/{name}", file=sys.stderr)
    sys.exit(1)
print(f"export check: mrm_research/ matches nbs/ ({len(after)} modules)")
