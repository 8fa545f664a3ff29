#!/usr/bin/env python3
"""Writes large hostile .crmx inputs (deep nesting, long chains, huge tokens, many errors)
into DIR. They are far above the fuzzer's -max_len, so the fuzzer cannot reach them; run them
through fuzz_replay (any build) or fuzz_parse (ASan build) by hand. See README.md.

usage: make_stress_inputs.py DIR
"""
import os
import sys


def wrap(expr: bytes) -> bytes:
    return b'integration s {\n  table t = ' + expr + b'\n}\n'


CASES = {
    'parens': wrap(b'(' * 100000 + b'1' + b')' * 100000),
    'brackets': wrap(b'[' * 100000),
    'braces': wrap(b'{' * 100000),
    'coalesce': wrap(b' ?? '.join([b'a'] * 50000)),
    'plus': wrap(b' + '.join([b'a'] * 50000)),
    'ternary': wrap(b'a ? b : ' * 30000 + b'c'),
    'not': wrap(b'!' * 100000 + b'x'),
    'neg': wrap(b'-' * 100000 + b'x'),
    'member': wrap(b'a' + b'.b' * 100000),
    'calls': wrap(b'a' + b'.b()' * 50000),
    'index': wrap(b'a' + b'[0]' * 50000),
    'andor': wrap(b' && '.join([b'a'] * 30000) + b' || ' + b' || '.join([b'b'] * 30000)),
    'relation': wrap(b' < '.join([b'a'] * 30000)),
    'strings': b'integration s {\n' + b'  table t = "abc\n' * 20000 + b'}\n',
    'errors': b'integration s {\n' + b'  map m: crm.A -> erp.B { x = = }\n' * 20000 + b'}\n',
    'garbage': b'#@$^' * 50000,
    'comment': b'/*' + b'x' * 500000,
    'longline': wrap(b'"' + b'a' * 1000000 + b'"'),
    'items': b'integration s {\n' + b'  table t = 1\n' * 100000 + b'}\n',
    'nested_maps': wrap(b'{a: ' * 20000 + b'1' + b'}' * 20000),
    'lambda': wrap(b'x.map(a, ' * 20000 + b'1' + b')' * 20000),
    'backticks': wrap(b'`' + b'a' * 500000 + b'`'),
}

if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in CASES.items():
        with open(os.path.join(sys.argv[1], f'stress-{name}.crmx'), 'wb') as f:
            f.write(data)
    print(f'{len(CASES)} inputs written to {sys.argv[1]}')
