"""What a fuzz harness is: a decoder, the oracle around it, its seeds and its mutator.

A harness module of this package defines one module-level ``HARNESS = Harness(...)``:

* ``one_input(data)`` feeds ``data`` to the decoder and returns when the decoder decoded it or
  refused it with its documented error type (after checking the refusal is well formed, e.g. the
  SIP status of a parse error). Any other exception propagates: that is the finding.
* ``seeds()`` gives valid inputs made by the project's own builders and the vectors in
  fixtures/vectors/; they seed the atheris corpus and the hypothesis strategies.
* ``mutate(data, rng)`` is the structure-aware mutator (see :mod:`tests.fuzz.mutators`).
* ``tokens`` is the dictionary handed to libFuzzer and to the byte mutator.

:mod:`tests.fuzz.registry` lists the harnesses and the packages atheris instruments for each.

:mod:`tests.fuzz.__main__` runs a harness with atheris (``make fuzz``); tests/unit/fuzz/ drives the
same oracle with hypothesis, bounded by example counts.
"""
from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.fuzz.mutators import Mutator, byte_mutation


@dataclass(frozen=True)
class Harness:
    name: str
    decoder: str  # what is fed, for the listing and the docs
    one_input: Callable[[bytes], None]
    seeds: Callable[[], Sequence[bytes]]
    mutate: Mutator | None = None
    tokens: tuple[bytes, ...] = ()
    #: longest input libFuzzer makes; by default twice the longest seed, and at least 2048
    max_len: int | None = None

    @functools.cached_property
    def seed_list(self) -> list[bytes]:
        return list(self.seeds())

    def mutate_one(self, data: bytes, rng: random.Random) -> bytes:
        if self.mutate is not None and rng.random() < 0.85:
            return self.mutate(data, rng)
        return byte_mutation(data, rng, self.tokens, self.seed_list)

    def strategy(self) -> st.SearchStrategy[bytes]:
        """Hypothesis: a seed, mutated by this harness's mutator one to three times."""
        seeds = self.seed_list

        @st.composite
        def mutated(draw: st.DrawFn) -> bytes:
            data = draw(st.sampled_from(seeds))
            rng = draw(st.randoms(use_true_random=False))
            for _ in range(draw(st.integers(1, 3))):
                data = self.mutate_one(data, rng)
            return data

        return mutated()

    def __hash__(self) -> int:
        return hash(self.name)


def mode_split(data: bytes, modes: int) -> tuple[int, bytes]:
    """The first octet chooses one of ``modes`` ways to feed the rest."""
    if not data:
        return 0, b""
    return data[0] % modes, data[1:]


def with_mode(mode: int, data: bytes) -> bytes:
    return bytes([mode]) + data


def moded_mutator(mutators: Sequence[Mutator | None], fallback: Mutator) -> Mutator:
    """Mutate the payload after the mode octet with the mutator of its mode; rarely, the mode too."""
    def mutate(data: bytes, rng: random.Random) -> bytes:
        mode, rest = mode_split(data, len(mutators))
        if rng.random() < 0.03:
            mode = rng.randrange(len(mutators))
        chosen = mutators[mode] or fallback
        return with_mode(mode, chosen(rest, rng))
    return mutate
