#!/usr/bin/env python3
# fuzz-cli.py: a command-line fuzzer for barproof's input parsers (python3, standard library only).
#
# What it checks: barproof run on a mutated input must end by itself, within a wall-clock limit,
# with an exit code it documents: 0, 1, 2, 64, 65 (bad input, with file and line), 73, 74.
#   crash          the run died from a signal (SIGSEGV, SIGABRT, SIGILL/SIGTRAP of a Swift trap, ...)
#   hang           the run was still going at --timeout seconds (it is then killed with SIGKILL)
#   internal error exit 70
#   unexpected     any other exit code
# Each of these is saved under OUT/findings/<family>/ with the files and the command lines that
# reproduce it (command.txt, run from that folder), and its stdout and stderr.
#
# Families, their seeds (scripts/fuzz-corpus/) and what runs on each mutated input:
#   spec      spec/*.yaml (the shipped specs and variants)   barproof prove --jobs 1 --timeout-ms 2000 spec.yaml --proofs EMPTY
#                                                              (a quarter also export-smt2, some explain)
#   record    record/<spec>__<check>.json (the shipped      a copy of proofs/<spec>/ with that record mutated:
#             records)                                         barproof prove --jobs 1 --timeout-ms 2000 Specs/<spec>.yaml --proofs COPY
#   resource  trees/*/ (sysfs trees from `barproof search    a copy of a tree with one device's resource file mutated:
#             --out`, the dev VM, a bridge), resource/*.txt    barproof audit --sysfs tree [options]; some also snapshot --root tree
#   config    trees/*/, config/*.bin                         the same with one config image mutated
#   iomem     trees/*/, iomem/*.txt                          the same with proc/iomem mutated
#   snapshot  snapshot/*.json (`barproof snapshot --root`)   barproof audit snapshot.json [options]
#   topology  topology/*.json (fixture topology.json)         barproof audit topology.json [options]
#
# Mutators: bit flips, byte sets, insertions and deletions, duplicated ranges, splicing with
# another seed of the family, token-aware edits (numbers near 0, 2^32, 2^63, 2^64, negative,
# huge, hex; lines and keys deleted, duplicated, swapped; values replaced by other JSON types),
# deep nesting ([[[, {"a": {, indented YAML chains), invalid UTF-8, control characters, very long
# lines, truncation, empty files; for config images also sizes around 64, 256 and 4096 bytes,
# capability pointers and header types.
#
# Usage (a release build in its own scratch path, so debug builds are left alone):
#   swift build -c release --scratch-path .build-fuzz
#   scripts/fuzz-cli.py --binary .build-fuzz/release/barproof --family all --minutes 10 --jobs 1 --seed 1 --out /tmp/fuzz
# --family takes one name, a comma-separated list or all; --minutes is per family; --runs N stops
# a family after N cases (with --seed, the same inputs every time); --timeout is the per-run limit.
# A summary per family (runs, crashes, hangs, internal errors, exit codes with counts) is printed
# at the end and written to OUT/summary.txt and OUT/summary.json.

import argparse
import concurrent.futures
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(REPO, 'scripts', 'fuzz-corpus')
FAMILIES = ['spec', 'record', 'resource', 'config', 'iomem', 'snapshot', 'topology']
ACCEPTED = {0, 1, 2, 64, 65, 73, 74}
INTERNAL = 70
SAVED_PER_KIND = 100  # findings saved per family and kind (all are counted)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# Mutators. Each takes (data, rng, ctx) and returns new bytes; ctx holds the family's seeds.

INTERESTING_NUMBERS = [
    '0', '1', '-1', '2', '15', '16', '63', '64', '65', '255', '256', '4095', '4096', '4097', '65535', '65536',
    '2147483647', '2147483648', '4294967295', '4294967296', '4294967297', '-2147483648',
    '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
    '18446744073709551615', '18446744073709551616', '18446744073709551617', '36893488147419103232',
    '1' + '0' * 40, '9' * 400, '1e309', '-0', '00', '007', '1.5', '1e3', 'NaN', 'inf', '+1',
]
INTERESTING_HEX = [
    '0', '1', 'f', 'ff', '1000', 'fff', 'ffff', '10000', 'ffffffff', '100000000', '7fffffffffffffff',
    '8000000000000000', 'ffffffffffffffff', '10000000000000000', 'f' * 17, '1' + '0' * 20, 'fffffffffffff000',
    'fffffffffffff001', 'g', '',
]
YAML_TOKENS = [
    b'- ', b'? ', b': ', b'[', b']', b'{', b'}', b', ', b'#', b' # c', b'|', b'>', b'|-', b'>+2', b'&a ', b'*a', b'!!str ',
    b'!<x> ', b'---\n', b'...\n', b'%YAML 1.1\n', b"'", b'"', b'\\', b'\t', b'\n', b'\r\n', b'\r', b'\xc2\x85',
    b'\xe2\x80\xa8', b'\xef\xbb\xbf', b'policy: ', b'checks:\n  - ', b'invariant: ', b'expect: ', b'drop: ', b'platform:\n  ',
    b'page_sizes: ', b'msi_isolated: ', b'allow_unsafe_interrupts: ', b'backends: ', b'unaligned_fixed_resources: ',
    b'assumptions: ', b'search:\n  ', b'devices: ', b'bars: ', b'bridges: ', b'bar_sizes: ', b'mmio: ',
    b'resource_alignment: ', b'fixed_bars: ', b'name: ', b'description: ', b'legacy', b'rfc-v4', b'mainline',
    b'page-exclusive', b'msix-needs-filtering', b'mmap-within-bar', b'proved', b'refuted', b'vacuous', b'any',
    b'yes', b'no', b'4K', b'16K', b'64K', b'1G', b'1T', b'0x', b'~', b'null', b'<<: ', b'"\\x00"', b'"\\u0000"',
]
JSON_TOKENS = [
    b'[', b']', b'{', b'}', b',', b':', b'"', b'\\', b'\\u0000', b'\\ud800', b'null', b'true', b'false', b'-', b'1e999',
    b'0.5', b'""', b'[]', b'{}', b'"schema"', b'"barproof-snapshot/1"', b'"barproof-topology/1"', b'"pageSize"',
    b'"devices"', b'"iomem"', b'"config"', b'"resource"', b'"format"', b'"verdict"', b'"counterexample"',
    b'"snapshot"', b'"topology"', b'"bars"', b'"functions"', b'"bridges"', b'"msix"', b'\n', b'\t', b' ',
    b'"barproof-topology"', b'"barproof-proof-record"', b'"schema_version"', b'"page_size"', b'"host_window"', b'"0x1000"',
]
SYSFS_TOKENS = [
    b'0x', b'0x0000000000000000', b'0xffffffffffffffff', b'0x00000000000400200', b'0x000000000014220c', b' ',
    b'\n', b'\t', b'-', b' : ', b'  ', b'PCI Bus 0000:00', b'PCI Bus 0000:01', b'0000:00:01.0', b'0000:01:00.0',
    b'System RAM', b'Reserved', b'g', b'x', b'\x00', b'0x1af4\n', b'0x060400\n', b'0x020000\n',
]


def rand_pos(data, rng):
    return rng.randrange(len(data) + 1)


def m_flip_bits(data, rng, ctx):
    if not data:
        return data
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def m_set_bytes(data, rng, ctx):
    if not data:
        return data
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        b[rng.randrange(len(b))] = rng.choice([0x00, 0xff, 0x7f, 0x80, 0x20, 0x0a, 0x09, 0x0d, 0x22, 0x27, 0x5b, 0x7b,
                                               0x3a, 0x2d, 0x23, 0x30, 0x39, 0x61, rng.randrange(256)])
    return bytes(b)


def m_insert_token(data, rng, ctx):
    token = rng.choice(ctx['tokens'])
    if rng.random() < 0.3:
        token = token * rng.randint(2, 20)
    i = rand_pos(data, rng)
    if rng.random() < 0.4:  # at a line start
        starts = [0] + [m.end() for m in re.finditer(rb'\n', data)]
        i = rng.choice(starts)
    return data[:i] + token + data[i:]


def m_delete_range(data, rng, ctx):
    if not data:
        return data
    i = rng.randrange(len(data))
    n = rng.choice([1, 1, 2, 4, 8, 16, 64, max(1, len(data) // 4)])
    return data[:i] + data[i + n:]


def m_duplicate_range(data, rng, ctx):
    if not data:
        return data
    i = rng.randrange(len(data))
    chunk = data[i:i + rng.choice([1, 4, 16, 64, 256])]
    j = rand_pos(data, rng)
    return data[:j] + chunk * rng.choice([1, 1, 2, 10, 100]) + data[j:]


def m_splice(data, rng, ctx):
    other = rng.choice(ctx['seeds'])
    if not other:
        return data
    if rng.random() < 0.5:
        a, b = rand_pos(data, rng), rand_pos(other, rng)
        return data[:a] + other[b:]
    b = rng.randrange(len(other))
    chunk = other[b:b + rng.choice([8, 32, 128, 512])]
    a = rand_pos(data, rng)
    return data[:a] + chunk + data[a:]


NUMBER = re.compile(rb'0[xX][0-9a-fA-F]+|-?[0-9]+')


def m_number(data, rng, ctx):
    found = list(NUMBER.finditer(data))
    if not found:
        return m_insert_token(data, rng, ctx)
    m = rng.choice(found)
    text = m.group()
    if text[:2].lower() == b'0x':
        digits = rng.choice(INTERESTING_HEX)
        if rng.random() < 0.5 and len(digits) < len(text) - 2:
            digits = digits.rjust(len(text) - 2, '0')
        new = b'0x' + digits.encode()
        if rng.random() < 0.2:
            new = digits.encode()  # drop the prefix
    elif len(text) >= 4 and all(c in b'0123456789abcdefABCDEF' for c in text) and rng.random() < 0.5:
        new = rng.choice(INTERESTING_HEX).rjust(len(text), '0').encode()  # iomem-style bare hex
    else:
        new = rng.choice(INTERESTING_NUMBERS).encode()
    if rng.random() < 0.15:  # every occurrence of it
        return data.replace(text, new)
    return data[:m.start()] + new + data[m.end():]


def m_lines(data, rng, ctx):
    lines = data.split(b'\n')
    if len(lines) < 2:
        return m_duplicate_range(data, rng, ctx)
    i = rng.randrange(len(lines))
    op = rng.randrange(6)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[i])
    elif op == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines = lines[:i]
    elif op == 4:  # re-indent
        lines[i] = b' ' * rng.choice([0, 1, 2, 3, 4, 8, 64]) + lines[i].lstrip(b' ')
    else:
        rng.shuffle(lines)
    return b'\n'.join(lines)


JSON_VALUE_REPLACEMENTS = [b'null', b'[]', b'{}', b'""', b'"x"', b'true', b'0', b'-1', b'18446744073709551616', b'1.5',
                           b'[1]', b'{"a": 1}', b'"' + b'f' * 1000 + b'"']


def m_keys(data, rng, ctx):
    """Deletes, duplicates or renames a key (a JSON member or a YAML key), or replaces a JSON value."""
    keys = list(re.finditer(rb'"([A-Za-z_0-9:.\-/ ]+)"\s*:', data)) or list(re.finditer(rb'(?m)^[ \t]*(?:-[ \t]*)?([a-z_]+):', data))
    if not keys:
        return m_lines(data, rng, ctx)
    m = rng.choice(keys)
    op = rng.randrange(4)
    line_start = data.rfind(b'\n', 0, m.start()) + 1
    line_end = data.find(b'\n', m.end())
    line_end = len(data) if line_end < 0 else line_end + 1
    if op == 0:
        return data[:line_start] + data[line_end:]
    if op == 1:
        return data[:line_end] + data[line_start:line_end] + data[line_end:]
    if op == 2:
        name = bytearray(m.group(1))
        if name:
            name[rng.randrange(len(name))] = rng.choice(b'abcxyz_-0')
        return data[:m.start(1)] + bytes(name) + data[m.end(1):]
    # replace the value after the key up to the next , } ] or end of line
    value_start = m.end()
    stop = re.compile(rb'[,}\]\n]').search(data, value_start)
    value_end = stop.start() if stop else len(data)
    return data[:value_start] + b' ' + rng.choice(JSON_VALUE_REPLACEMENTS) + data[value_end:]


def m_deep(data, rng, ctx):
    k = rng.choice([63, 64, 65, 100, 1000, 5000, 100_000])
    i = rand_pos(data, rng)
    kind = ctx['kind']
    if kind == 'yaml' and rng.random() < 0.5:
        chain = b''.join(b' ' * d + b'k%d:\n' % d for d in range(min(k, 5000)))
        return data[:i] + chain + data[i:] if rng.random() < 0.5 else chain + data
    if kind == 'iomem':
        chain = b''.join(b'  ' * d + b'%08x-%08x : deep\n' % (d, 0xffffffff - d) for d in range(min(k, 5000)))
        return data[:i] + chain + data[i:]
    opener, closer = rng.choice([(b'[', b']'), (b'{"a": ', b'}'), (b'{a: ', b'}'), (b'- ', b'')])
    closed = rng.random() < 0.5
    return data[:i] + opener * k + (closer * k if closed else b'') + data[i:]


def m_invalid_utf8(data, rng, ctx):
    bad = rng.choice([b'\xff', b'\xfe', b'\xc3', b'\xc0\xaf', b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'\xe2\x82', b'\x80',
                      b'\xef\xbf\xbe', b'\x00', b'\x1b', b'\x7f', b'\x0b', b'\x0c'])
    i = rand_pos(data, rng)
    return data[:i] + bad + data[i:]


def m_long_line(data, rng, ctx):
    k = rng.choice([1000, 65536, 1_000_000])
    filler = rng.choice([b'A', b'9', b'f', b' ', b'[', b'-', b'0x', b'a: '])
    i = rand_pos(data, rng)
    return data[:i] + filler * (k // len(filler)) + data[i:]


def m_truncate(data, rng, ctx):
    return data[:rand_pos(data, rng)]


def m_empty(data, rng, ctx):
    return rng.choice([b'', b'\n', b' ', b'\n\n\n', b'\t', b'{}', b'[]', b'null', b'0', b'---\n', b'\xef\xbb\xbf'])


CONFIG_SIZES = [0, 1, 3, 4, 63, 64, 65, 128, 255, 256, 257, 4095, 4096, 4097, 65536]


def m_config_size(data, rng, ctx):
    size = rng.choice(CONFIG_SIZES)
    if size <= len(data):
        return data[:size]
    return data + bytes([rng.choice([0, 0xff])]) * (size - len(data))


def m_config_fields(data, rng, ctx):
    b = bytearray(data)
    if len(b) < 64:
        b += bytes(64 - len(b))
    op = rng.randrange(7)
    if op == 0:  # capability pointer
        b[0x34] = rng.choice([0x00, 0x34, 0x40, 0x41, 0x3f, 0xfc, 0xff, rng.randrange(256)])
        b[0x06] |= 0x10
    elif op == 1:  # header type
        b[0x0e] = rng.choice([0, 1, 2, 3, 0x7f, 0x80, 0x81, 0xff])
    elif op == 2:  # a BAR register
        i = 0x10 + 4 * rng.randrange(6)
        v = rng.choice([0xffffffff, 0xfffffff0, 0xfffffffc, 0x00000004, 0x0000000c, 0x00000001, 0x80000008, 0])
        b[i:i + 4] = v.to_bytes(4, 'little')
    elif op == 3:  # a capability loop or out-of-range next pointer somewhere in 0x40..0xff
        if len(b) >= 0x100:
            i = rng.randrange(0x40, 0xfe)
            b[i] = rng.choice([0x05, 0x09, 0x10, 0x11, 0x14, 0x01, 0xff])
            b[i + 1] = rng.choice([i & 0xfc, 0x40, 0xfc, 0xff, 0x00, rng.randrange(256)])
            b[0x34] = i & 0xfc if rng.random() < 0.5 else b[0x34]
            b[0x06] |= 0x10
    elif op == 4:  # an extended capability header at 0x100
        if len(b) < 0x104:
            b += bytes(0x104 - len(b))
        hdr = rng.choice([0xffffffff, 0x00010001, 0x10000010, 0x15020015, 0x0001000b, 0x1001_0015])
        b[0x100:0x104] = hdr.to_bytes(4, 'little')
    elif op == 5:  # MSI-X table/PBA offsets and BIRs
        for off in range(0x40, min(len(b), 0x100) - 12, 4):
            if b[off] == 0x11:
                b[off + 2:off + 4] = rng.choice([0, 0x7ff, 0xffff, rng.randrange(65536)]).to_bytes(2, 'little')
                b[off + 4:off + 8] = rng.choice([0xffffffff, 7, 6, 0xfffffff8, rng.randrange(1 << 32)]).to_bytes(4, 'little')
                break
    else:
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


TEXT_MUTATORS = [(m_flip_bits, 3), (m_set_bytes, 3), (m_insert_token, 6), (m_delete_range, 4), (m_duplicate_range, 3),
                 (m_splice, 3), (m_number, 8), (m_lines, 5), (m_keys, 4), (m_deep, 2), (m_invalid_utf8, 2),
                 (m_long_line, 1), (m_truncate, 2), (m_empty, 0.5)]
BINARY_MUTATORS = [(m_flip_bits, 5), (m_set_bytes, 5), (m_config_size, 3), (m_config_fields, 8), (m_splice, 3),
                   (m_delete_range, 1), (m_duplicate_range, 1), (m_empty, 0.3)]


def mutate(data, rng, ctx):
    table = ctx['mutators']
    funcs = [f for f, _ in table]
    weights = [w for _, w in table]
    applied = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        f = rng.choices(funcs, weights)[0]
        data = f(data, rng, ctx)
        applied.append(f.__name__[2:])
        if len(data) > 8_000_000:
            data = data[:8_000_000]
    return data, applied


# ---------------------------------------------------------------------------------------------
# Families: a case is a folder of files and the command lines to run in it.

class Case:
    def __init__(self, files=None, trees=None, commands=None, note=''):
        self.files = files or {}  # relative path -> bytes
        self.trees = trees or {}  # relative path -> source directory to copy first
        self.commands = commands or []  # lists of arguments; the binary is filled in at run time
        self.note = note


def corpus_files(*parts, suffix=''):
    folder = os.path.join(CORPUS, *parts)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(suffix))


def trees():
    folder = os.path.join(CORPUS, 'trees')
    return sorted(os.path.join(folder, t) for t in os.listdir(folder))


def tree_devices(tree):
    folder = os.path.join(tree, 'sys', 'bus', 'pci', 'devices')
    return sorted(os.listdir(folder))


AUDIT_OPTIONS = [[], [], [], ['--page-size', '65536'], ['--msi-isolated', 'no', '--allow-unsafe-interrupts'],
                 ['--msi-isolated', 'yes'], ['--policy', 'legacy'], ['--policy', 'rfc-v4'], ['--format', 'json'],
                 ['--format', 'sarif'], ['--drop', 'subpage-reservation'], ['--page-size', '16384', '--format', 'json']]


class Family:
    kind = 'text'

    def __init__(self, name, rng):
        self.name = name
        self.rng = rng

    def context(self, seeds, tokens, binary=False):
        return {'seeds': seeds, 'tokens': tokens, 'kind': self.kind,
                'mutators': BINARY_MUTATORS if binary else TEXT_MUTATORS}


class SpecFamily(Family):
    kind = 'yaml'

    def __init__(self, name, rng):
        super().__init__(name, rng)
        self.seeds = [read(p) for p in corpus_files('spec', suffix='.yaml')]
        self.ctx = self.context(self.seeds, YAML_TOKENS)

    def case(self):
        data, applied = mutate(self.rng.choice(self.seeds), self.rng, self.ctx)
        commands = [['prove', '--jobs', '1', '--timeout-ms', '2000', 'spec.yaml', '--proofs', 'proofs']]
        if self.rng.random() < 0.25:
            commands.append(['export-smt2', 'spec.yaml', '--out', 'smt2'])
        if self.rng.random() < 0.1:
            names = re.findall(rb'(?:name|invariant): *([A-Za-z0-9._-]+)', data) or [b'page-exclusive']
            commands.append(['explain', 'spec.yaml', self.rng.choice(names).decode('utf-8', 'replace'), '--timeout-ms', '2000'])
        return Case(files={'spec.yaml': data, 'proofs/.keep': b''}, commands=commands, note=' '.join(applied))


class RecordFamily(Family):
    def __init__(self, name, rng):
        super().__init__(name, rng)
        self.paths = corpus_files('record', suffix='.json')
        self.seeds = [read(p) for p in self.paths]
        self.ctx = self.context(self.seeds, JSON_TOKENS)

    def case(self):
        i = self.rng.randrange(len(self.paths))
        spec, check = os.path.basename(self.paths[i])[:-len('.json')].split('__', 1)
        data, applied = mutate(self.seeds[i], self.rng, self.ctx)
        return Case(files={'proofs/%s/%s.json' % (spec, check): data},
                    trees={'proofs/' + spec: os.path.join(REPO, 'proofs', spec)},
                    commands=[['prove', '--jobs', '1', '--timeout-ms', '2000', os.path.join(REPO, 'Specs', spec + '.yaml'),
                               '--proofs', 'proofs']],
                    note='%s/%s: %s' % (spec, check, ' '.join(applied)))


class TreeFamily(Family):
    """resource, config, iomem: one file of a sysfs tree mutated."""

    def __init__(self, name, rng):
        super().__init__(name, rng)
        self.kind = 'iomem' if name == 'iomem' else 'text'
        self.trees = trees()
        suffix = {'resource': '.txt', 'config': '.bin', 'iomem': '.txt'}[name]
        extra = [read(p) for p in corpus_files(name, suffix=suffix)]
        self.seeds = extra[:]
        for tree in self.trees:
            if name == 'iomem':
                self.seeds.append(read(os.path.join(tree, 'proc', 'iomem')))
            else:
                for d in tree_devices(tree):
                    self.seeds.append(read(os.path.join(tree, 'sys/bus/pci/devices', d, name)))
        self.ctx = self.context(self.seeds, SYSFS_TOKENS, binary=(name == 'config'))

    def case(self):
        rng = self.rng
        tree = rng.choice(self.trees)
        if self.name == 'iomem':
            target = 'tree/proc/iomem'
            base = read(os.path.join(tree, 'proc', 'iomem'))
        else:
            device = rng.choice(tree_devices(tree))
            target = 'tree/sys/bus/pci/devices/%s/%s' % (device, self.name)
            base = read(os.path.join(tree, 'sys/bus/pci/devices', device, self.name))
        if rng.random() < 0.15:
            base = rng.choice(self.seeds)
        data, applied = mutate(base, rng, self.ctx)
        commands = [['audit', '--sysfs', 'tree'] + rng.choice(AUDIT_OPTIONS)]
        if rng.random() < 0.25:
            commands.append(['snapshot', '--root', 'tree', '--output', 'snapshot.json'])
            commands.append(['audit', 'snapshot.json'])
        return Case(files={target: data}, trees={'tree': tree}, commands=commands,
                    note='%s %s: %s' % (os.path.basename(tree), target[5:], ' '.join(applied)))


class JSONFamily(Family):
    """snapshot, topology: a JSON document audited."""

    def __init__(self, name, rng):
        super().__init__(name, rng)
        self.seeds = [read(p) for p in corpus_files(name, suffix='.json')]
        self.ctx = self.context(self.seeds, JSON_TOKENS + SYSFS_TOKENS)

    def case(self):
        data, applied = mutate(self.rng.choice(self.seeds), self.rng, self.ctx)
        file = self.name + '.json'
        return Case(files={file: data}, commands=[['audit', file] + self.rng.choice(AUDIT_OPTIONS)], note=' '.join(applied))


def make_family(name, rng):
    if name == 'spec':
        return SpecFamily(name, rng)
    if name == 'record':
        return RecordFamily(name, rng)
    if name in ('resource', 'config', 'iomem'):
        return TreeFamily(name, rng)
    return JSONFamily(name, rng)


# ---------------------------------------------------------------------------------------------
# Running

def classify(code):
    if code is None:
        return 'hang'
    if code < 0 or 128 < code < 128 + 65:
        return 'crash'
    if code in ACCEPTED:
        return 'ok'
    if code == INTERNAL:
        return 'internal'
    return 'unexpected'


def run_case(case, binary, workdir, timeout):
    """Writes the case into workdir and runs its commands; returns [(argv, code, seconds, stdout, stderr)]."""
    if os.path.exists(workdir):
        shutil.rmtree(workdir)
    os.makedirs(workdir)
    for rel, src in case.trees.items():
        shutil.copytree(src, os.path.join(workdir, rel))
    for rel, data in case.files.items():
        path = os.path.join(workdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
    results = []
    env = dict(os.environ, SWIFT_BACKTRACE='enable=yes,interactive=no,color=no')
    for args in case.commands:
        argv = [binary] + args
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env)
        try:
            out, err = proc.communicate(timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = proc.communicate()
            code = None
        results.append((argv, code, time.monotonic() - start, out, err))
        if classify(code) != 'ok':
            break
    return results


def save_finding(out_dir, family, kind, serial, case, workdir, results):
    folder = os.path.join(out_dir, 'findings', family, '%s-%04d' % (kind, serial))
    shutil.copytree(workdir, os.path.join(folder, 'case'))
    argv, code, seconds, out, err = results[-1]
    lines = ['# %s in family %s (%s); run from the case folder:' % (kind, family, case.note), 'cd ' + shlex.quote(os.path.join(folder, 'case'))]
    lines += [shlex.join(a) for a, *_ in results]
    with open(os.path.join(folder, 'command.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(folder, 'stdout.txt'), 'wb') as f:
        f.write(out[:1_000_000])
    with open(os.path.join(folder, 'stderr.txt'), 'wb') as f:
        f.write(err[:1_000_000])
    with open(os.path.join(folder, 'result.json'), 'w') as f:
        json.dump({'family': family, 'kind': kind, 'exit': code, 'seconds': round(seconds, 3), 'note': case.note,
                   'commands': [a for a, *_ in results]}, f, indent=2)
    return folder


def fuzz_family(name, args, out_dir, scratch):
    rng = random.Random('%d/%s' % (args.seed, name))
    family = make_family(name, rng)
    stats = {'family': name, 'cases': 0, 'runs': 0, 'crash': 0, 'hang': 0, 'internal': 0, 'unexpected': 0,
             'exits': Counter(), 'seconds': 0.0, 'findings': []}
    saved = Counter()
    deadline = time.monotonic() + args.minutes * 60
    started = time.monotonic()
    last_report = started
    pending = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        free = ['%s/%s-%d' % (scratch, name, i) for i in range(args.jobs)]

        def collect(done):
            nonlocal last_report
            for future in done:
                case, workdir = pending.pop(future)
                results = future.result()
                stats['cases'] += 1
                for argv, code, seconds, out, err in results:
                    stats['runs'] += 1
                    stats['exits']['timeout' if code is None else str(code)] += 1
                kind = classify(results[-1][1])
                if kind != 'ok':
                    stats[kind] += 1
                    saved[kind] += 1
                    if saved[kind] <= SAVED_PER_KIND:
                        folder = save_finding(out_dir, name, kind, saved[kind], case, workdir, results)
                        stats['findings'].append(folder)
                        print('  %s: %s (exit %s) -> %s' % (name, kind, results[-1][1], folder), flush=True)
                free.append(workdir)
            if time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                print('  %s: %d runs in %.0f s, %d crashes, %d hangs, %d internal errors, %d unexpected' % (
                    name, stats['runs'], last_report - started, stats['crash'], stats['hang'], stats['internal'],
                    stats['unexpected']), flush=True)

        while True:
            if time.monotonic() >= deadline or (args.runs and stats['cases'] + len(pending) >= args.runs):
                break
            while free and not (args.runs and stats['cases'] + len(pending) >= args.runs):
                case = family.case()
                workdir = free.pop()
                pending[pool.submit(run_case, case, args.binary, workdir, args.timeout)] = (case, workdir)
            done, _ = concurrent.futures.wait(list(pending), return_when=concurrent.futures.FIRST_COMPLETED)
            collect(done)
        done, _ = concurrent.futures.wait(list(pending))
        collect(done)
    stats['seconds'] = round(time.monotonic() - started, 1)
    return stats


def summary_line(s):
    exits = ', '.join('%s: %d' % (k, v) for k, v in sorted(s['exits'].items(), key=lambda kv: (len(kv[0]), kv[0])))
    return '%-9s %7d runs (%d cases, %.0f s)  crashes %d  hangs %d  internal errors %d  unexpected %d  exits {%s}' % (
        s['family'], s['runs'], s['cases'], s['seconds'], s['crash'], s['hang'], s['internal'], s['unexpected'], exits)


def main():
    parser = argparse.ArgumentParser(description='Fuzz barproof\'s input parsers through its command line.')
    parser.add_argument('--family', default='all', help='one of %s, a comma-separated list, or all' % ', '.join(FAMILIES))
    parser.add_argument('--minutes', type=float, default=1.0, help='wall-clock minutes per family (default 1)')
    parser.add_argument('--runs', type=int, default=0, help='stop a family after this many cases (default: no limit)')
    parser.add_argument('--binary', default=os.path.join(REPO, '.build', 'debug', 'barproof'))
    parser.add_argument('--out', default=None, help='where findings and the summary go (default: a new temporary folder)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--timeout', type=float, default=20.0, help='per-run limit in seconds; a run past it is a hang')
    args = parser.parse_args()
    names = FAMILIES if args.family == 'all' else args.family.split(',')
    for n in names:
        if n not in FAMILIES:
            parser.error('unknown family %r; families: %s' % (n, ', '.join(FAMILIES)))
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        parser.error('no executable at %s (swift build -c release --scratch-path .build-fuzz)' % args.binary)
    out_dir = os.path.abspath(args.out or tempfile.mkdtemp(prefix='barproof-fuzz-'))
    os.makedirs(out_dir, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix='barproof-fuzz-work-')
    print('fuzzing %s with %s, %.1f min per family, seed %d, %d job(s); findings in %s' % (
        ', '.join(names), args.binary, args.minutes, args.seed, args.jobs, out_dir), flush=True)
    all_stats = []
    try:
        for n in names:
            print('family %s' % n, flush=True)
            all_stats.append(fuzz_family(n, args, out_dir, scratch))
            print(summary_line(all_stats[-1]), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    text = '\n'.join(['command: ' + shlex.join([sys.executable] + sys.argv)] + [summary_line(s) for s in all_stats]) + '\n'
    print('\nsummary\n' + text, end='')
    with open(os.path.join(out_dir, 'summary.txt'), 'w') as f:
        f.write(text)
    with open(os.path.join(out_dir, 'summary.json'), 'w') as f:
        json.dump([dict(s, exits=dict(s['exits'])) for s in all_stats], f, indent=2)
    bad = sum(s['crash'] + s['hang'] + s['internal'] + s['unexpected'] for s in all_stats)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
