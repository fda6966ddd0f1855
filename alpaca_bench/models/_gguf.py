"""GGUF files as model specs: convert a `.gguf` once into a cached Hugging Face folder.

Why a folder and not `from_pretrained(gguf_file=...)` every run: transformers dequantises a GGUF
into torch tensors on each load, which costs tens of seconds even for a 135M model on a small
CPU, and re-reads the tokenizer vocabulary from the file's metadata. A saved folder loads in a
few seconds, and everything downstream (generation, judging, SFT) already takes a folder. The
folder is named by the file's content hash, so renaming or copying the file reuses it, and a
changed file gets a new one.

A spec names a GGUF when it is a `.gguf` file, or a folder without `config.json` that holds
exactly one `.gguf` file. `read_header` checks a file cheaply (metadata and tensor table, no
weights) so a corrupt or truncated file is refused before any work starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mmap
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import InputError

logger = logging.getLogger(__name__)

GGUF_HINT = "GGUF models need the gguf package: pip install 'alpaca-bench[gguf]'"
GGUF_MAGIC = b"GGUF"
SOURCE_FILE = "gguf-source.json"
HASH_CHARS = 24
_DEFAULT_ALIGNMENT = 32
# Sizes of the fixed-width GGUF metadata value types (gguf spec: GGUFValueType).
_SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?"}
_SCALAR_FORMATS |= {10: "<Q", 11: "<q", 12: "<d"}
_SCALAR_SIZES = {kind: struct.calcsize(fmt) for kind, fmt in _SCALAR_FORMATS.items()}
_STRING, _ARRAY = 8, 9
# GGUF architecture names transformers knows under another name (see its load_gguf_checkpoint).
_ARCH_ALIASES = {
    "qwen2moe": "qwen2_moe",
    "qwen3moe": "qwen3_moe",
    "gpt-oss": "gpt_oss",
    "minimax-m2": "minimax_m2",
}


@dataclass(frozen=True)
class GGUFHeader:
    """What the cheap check learns from a file: enough to refuse it early, or describe it."""

    version: int
    architecture: str
    name: str | None
    tensor_count: int
    size: int


class _Truncated(Exception):
    pass


class _Reader:
    """Little-endian reads over a buffer that fail with _Truncated instead of reading past its end."""

    def __init__(self, buffer: Any):
        self.buffer = buffer
        self.pos = 0

    def take(self, count: int) -> int:
        start = self.pos
        if count < 0 or start + count > len(self.buffer):
            raise _Truncated
        self.pos = start + count
        return start

    def unpack(self, fmt: str) -> Any:
        start = self.take(struct.calcsize(fmt))
        return struct.unpack_from(fmt, self.buffer, start)[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        start = self.take(length)
        return bytes(self.buffer[start : start + length]).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        """Read one metadata value; arrays are skipped (None), the header needs none of them."""
        if kind in _SCALAR_SIZES:
            fmt = {
                0: "<B",
                1: "<b",
                2: "<H",
                3: "<h",
                4: "<I",
                5: "<i",
                6: "<f",
                7: "<?",
                10: "<Q",
                11: "<q",
                12: "<d",
            }
            return self.unpack(fmt[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.unpack("<I"), self.unpack("<Q")
            if item_kind in _SCALAR_SIZES:
                self.take(_SCALAR_SIZES[item_kind] * count)
            else:
                for _ in range(count):
                    self.value(item_kind)
            return None
        raise ValueError(f"unknown metadata value type {kind}")


def find_gguf(path: str | Path) -> Path | None:
    """The GGUF file a spec names, or None when the spec is something else (a folder, a repo id).

    Raises InputError for a folder that holds several `.gguf` files: which one is meant is a
    guess we should not make.
    """
    local = Path(path).expanduser()
    if local.is_file():
        return local if local.suffix.lower() == ".gguf" else None
    if not local.is_dir() or (local / "config.json").is_file():
        return None
    found = sorted(p for p in local.iterdir() if p.is_file() and p.suffix.lower() == ".gguf")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(f"holds {len(found)} .gguf files ({names}); name the one to use", local)
    return found[0] if found else None


def read_header(file: Path) -> GGUFHeader:
    """Check that `file` is a complete GGUF file, reading only its metadata and tensor table.

    Catches what goes wrong in practice (not a GGUF, an old version, a cut-off download) in
    milliseconds, where transformers would fail only after tens of seconds with a traceback.
    """
    try:
        size = file.stat().st_size
        with file.open("rb") as handle:
            if size < 24 or handle.read(4) != GGUF_MAGIC:
                raise InputError("not a GGUF file (no GGUF magic bytes at the start)", file)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
                return _parse(file, buffer, size)
    except OSError as exc:
        raise InputError(f"cannot read GGUF file: {exc.strerror or exc}", file) from None


def _parse(file: Path, buffer: Any, size: int) -> GGUFHeader:
    reader = _Reader(buffer)
    reader.take(4)
    try:
        version = reader.unpack("<I")
        if version not in (2, 3):
            raise InputError(f"unsupported GGUF version {version} (expected 2 or 3)", file)
        tensor_count, kv_count = reader.unpack("<Q"), reader.unpack("<Q")
        if tensor_count > size or kv_count > size:
            raise InputError("corrupt GGUF header (impossible tensor or metadata count)", file)
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = reader.string()
            metadata[key] = reader.value(reader.unpack("<I"))
        tensors = []
        for _ in range(tensor_count):
            reader.string()
            dims = [reader.unpack("<Q") for _ in range(reader.unpack("<I"))]
            tensors.append((dims, reader.unpack("<I"), reader.unpack("<Q")))
    except _Truncated:
        raise InputError(f"truncated GGUF file (its header runs past the end, {size} bytes)", file) from None
    except ValueError as exc:
        raise InputError(f"corrupt GGUF metadata ({exc})", file) from None
    architecture = metadata.get("general.architecture")
    if not isinstance(architecture, str) or not architecture:
        raise InputError("corrupt GGUF metadata (no general.architecture)", file)
    alignment = metadata.get("general.alignment", _DEFAULT_ALIGNMENT)
    alignment = alignment if isinstance(alignment, int) and alignment > 0 else _DEFAULT_ALIGNMENT
    data_start = -(-reader.pos // alignment) * alignment
    needed = data_start + max(
        (offset + _tensor_bytes(file, dims, kind) for dims, kind, offset in tensors), default=0
    )
    if needed > size:
        raise InputError(f"truncated GGUF file ({size} bytes, its tensors need {needed})", file)
    name = metadata.get("general.name")
    return GGUFHeader(version, architecture, name if isinstance(name, str) else None, tensor_count, size)


def _tensor_bytes(file: Path, dims: list[int], kind: int) -> int:
    gguf = import_gguf()
    try:
        block, block_bytes = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(kind)]
    except (ValueError, KeyError):
        raise InputError(f"corrupt GGUF tensor table (unknown tensor type {kind})", file) from None
    elements = 1
    for dim in dims:
        elements *= dim
    return int(elements // block * block_bytes)


def import_gguf() -> Any:
    try:
        import gguf
    except ImportError:
        raise InputError(GGUF_HINT) from None
    return gguf


def check_supported(header: GGUFHeader, file: Path) -> None:
    """Refuse an architecture transformers cannot convert, before the expensive load."""
    try:
        from transformers.integrations.ggml import GGUF_CONFIG_MAPPING
    except ImportError:
        return  # conversion reports the missing package with its own hint
    supported = set(GGUF_CONFIG_MAPPING) - {"general", "tokenizer"}
    arch = header.architecture
    if arch not in supported and _ARCH_ALIASES.get(arch) not in supported and "t5" not in arch:
        raise InputError(
            f"GGUF architecture {arch!r} is not supported by transformers "
            f"(supported: {', '.join(sorted(supported))})",
            file,
        )


def content_hash(file: Path) -> str:
    """sha256 of the file's bytes (first 24 hex), memoised by path, size, mtime and inode.

    Hashing a 250 MB file takes about a second; the memo makes repeat runs free. The memo is
    trusted only while the file's stat is unchanged, and only written when the stat did not
    change while hashing, so an edited file is always re-hashed.
    """
    resolved = file.resolve()
    memo = (
        _cache_root() / "hashes" / (hashlib.sha256(str(resolved).encode()).hexdigest()[:HASH_CHARS] + ".json")
    )
    stamp = _stamp(resolved)
    with contextlib.suppress(OSError, ValueError):
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved.get("path") == str(resolved) and saved.get("stat") == stamp:
            return str(saved["sha256"])
    digest = hashlib.sha256()
    with resolved.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    value = digest.hexdigest()[:HASH_CHARS]
    if _stamp(resolved) == stamp:
        with contextlib.suppress(OSError):
            memo.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(memo, json.dumps({"path": str(resolved), "stat": stamp, "sha256": value}))
    return value


def _stamp(file: Path) -> list[int]:
    st = file.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev]


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _cache_root() -> Path:
    return paths.cache_dir() / "gguf"


def converted_folder(file: Path) -> Path:
    """The cached Hugging Face folder for `file`, converting it first if there is none."""
    header = read_header(file)
    check_supported(header, file)
    target = _cache_root() / content_hash(file)
    if (target / "config.json").is_file():
        logger.debug("loading %s from its converted copy %s", file, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target) as exclusive:
        if (target / "config.json").is_file():  # another process converted it while we waited
            return target
        if exclusive:  # nobody else is converting this file: any temp folder is a killed run's
            for stale in target.parent.glob(f".{target.name}.*.tmp"):
                shutil.rmtree(stale, ignore_errors=True)
            if target.exists():  # a folder without config.json is no finished conversion
                logger.warning("removing the incomplete converted folder %s", target)
                shutil.rmtree(target, ignore_errors=True)
        _convert(file, target, header)
    return target


def resolve_hf_path(path: str) -> str:
    """`path` itself, unless it names a GGUF: then the folder it was converted into (once).

    Everything that loads a transformers model calls this first, so a `.gguf` works wherever a
    model folder does.
    """
    file = find_gguf(path)
    return path if file is None else str(converted_folder(file))


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[bool]:
    """Hold an advisory lock so concurrent processes convert a file once, not once each.

    Yields whether the lock is exclusive. The rename at the end of `_convert` keeps the result
    correct even without it (systems without fcntl); the lock saves the duplicate work and
    memory (e.g. every rank of a multi-process `sft` resolving the same GGUF), and the kernel
    drops it when a process dies, so a killed conversion never blocks the next one.
    """
    try:
        import fcntl
    except ImportError:
        yield False
        return
    with (target.parent / f".{target.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert(file: Path, target: Path, header: GGUFHeader) -> None:
    """Dequantise `file` into a folder beside `target`, then rename it into place.

    The temporary folder means a killed conversion never leaves a half-written `target`; if the
    rename finds `target` already there, another process finished first and its copy is used.
    """
    logger.info("converting %s once into %s", file, target)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
        _build(file, tmp, header)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
            logger.info("%s was converted by another process; using its copy", file)
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("converted %s in %.1fs", file.name, time.perf_counter() - started)


def _build(file: Path, folder: Path, header: GGUFHeader) -> None:
    """Write the Hugging Face folder for `file` into `folder`: weights dequantised to float32
    (Q4 blocks are exact in float32, not in bfloat16), tokenizer and chat template from the
    GGUF metadata, and a `gguf-source.json` saying where it came from."""
    from ..progress import progress_bar
    from ._hf import import_torch_transformers

    import_gguf()
    torch, transformers = import_torch_transformers()
    with progress_bar(f"converting {file.name} (once)", total=3) as bar:
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(file.parent), gguf_file=file.name)
            bar.advance()
            loaded = transformers.AutoModelForCausalLM.from_pretrained(
                str(file.parent),
                gguf_file=file.name,
                dtype=torch.float32,
                quantization_config=transformers.GgufConfig(dequantize=True),
            )
            bar.advance()
        except (ValueError, KeyError, OSError, RuntimeError, NotImplementedError) as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise InputError(f"cannot convert GGUF file: {first}", file) from None
        model = _plain_copy(torch, transformers, loaded)
        del loaded
        model.save_pretrained(str(folder))
        tokenizer.save_pretrained(str(folder))
        source = {
            "gguf_file": file.name,
            "architecture": header.architecture,
            "name": header.name,
            "transformers": transformers.__version__,
        }
        (folder / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
        bar.advance()


def _plain_copy(torch: Any, transformers: Any, loaded: Any) -> Any:
    """The same weights in a model without GGUF quantization state, which transformers 5
    refuses to `save_pretrained`: rebuilt from the config minus `quantization_config`, with the
    dequantised state dict loaded strictly (so a weight the conversion missed is an error)."""
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    auto: Any = transformers.AutoModelForCausalLM
    model = auto.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.generation_config = loaded.generation_config
    return model.eval()
