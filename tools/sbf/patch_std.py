"""Teach a copy of Rust's std source about target_os = "solana".

Upstream std has no Solana target; these are the few places it must know
one. Each edit asserts it applied exactly as expected, so a toolchain whose
std source moved fails loudly here instead of miscompiling later.

  1. random, thread-locals, io errors: treat solana like vexos (no OS
     randomness, single-threaded thread-locals, plain io errors);
  2. the allocator: bpf aligns to 8; `System` has no heap (a Solana program
     brings its own global allocator);
  3. RandomState::new: fixed keys (its per-thread key cache is a writable
     static, which SBF cannot link). Anchor only hashes account keys with it.
"""

import pathlib
import re
import sys

std = pathlib.Path(sys.argv[1])


def edit(rel, change):
    path = std / rel
    before = path.read_text()
    after = change(before)
    if after == before:
        sys.exit(f"patch_std: nothing changed in {rel}")
    path.write_text(after)


def after_vexos(expected):
    def change(text):
        out, count = re.subn(r'target_os = "vexos",', 'target_os = "vexos", target_os = "solana",', text)
        if count != expected:
            sys.exit(f"patch_std: expected {expected} vexos entries, found {count}")
        return out
    return change


for rel, expected in [("sys/random/mod.rs", 2), ("sys/thread_local/mod.rs", 2), ("sys/io/error/mod.rs", 1)]:
    edit(rel, after_vexos(expected))


def allocator(text):
    text, aligned = re.subn(
        r'(\n(\s*)target_arch = "xtensa",\n)(\)\) \{\n\s*8\n)', r'\1\2target_arch = "bpf",\n\3', text)
    text, routed = re.subn(
        r'\n(\s*)target_os = "zkvm" => \{\n(\s*)mod zkvm;',
        r'\n\1target_os = "solana" => {\n\2mod solana;\n\2use solana as imp;\n\1}\g<0>', text)
    if (aligned, routed) != (1, 1):
        sys.exit(f"patch_std: allocator edits applied {aligned}, {routed} times")
    return text


edit("sys/alloc/mod.rs", allocator)
(std / "sys/alloc/solana.rs").write_text(
    "//! Solana: the program's own #[global_allocator] serves every allocation.\n"
    "use crate::alloc::Layout;\n"
    "use crate::ptr::null_mut;\n"
    "#[inline] pub unsafe fn alloc(_: Layout) -> *mut u8 { null_mut() }\n"
    "#[inline] pub unsafe fn alloc_zeroed(_: Layout) -> *mut u8 { null_mut() }\n"
    "#[inline] pub unsafe fn dealloc(_: *mut u8, _: Layout) {}\n"
    "#[inline] pub unsafe fn realloc(_: *mut u8, _: Layout, _: usize) -> *mut u8 { null_mut() }\n"
)
edit("hash/random.rs", lambda text: re.sub(
    r'(pub fn new\(\) -> RandomState \{\n)',
    r'\1        if cfg!(target_os = "solana") {\n            return RandomState { k0: 0, k1: 0 };\n        }\n',
    text, count=1))
