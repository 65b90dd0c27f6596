"""Link prediction on the person–group graph: who and what a person is likely to join next.

The graph here is undirected and simple: people and open groups/organisations are nodes; a
community tie between two people, or a person's ATTENDS / VOLUNTEERS_AT tie to a group, is an
edge. ``k(z)`` is a node's degree on that graph. For a person ``p`` and a candidate ``x`` the
factors are (each divided by its largest value among ``p``'s candidates, so 0..1):

- **ra2** — resource allocation (Zhou, Lü & Zhang 2009): ``Σ 1/k(z)`` over common neighbours
  ``z`` (friends who already go to a group; friends and groups two people share);
- **comember** — co-membership, "people who go where you go also go…": mass diffusion /
  heat conduction on the three-step paths ``p – z1 – z2 – x`` (Zhou et al. 2010, PNAS 107:4511),
  ``Σ 1 / (k(z1)^λ · k(z2) · k(x)^(1-λ))``; for a group, ``z1`` is one of ``p``'s groups (or
  friends) and ``z2`` someone who also goes to ``x``;
- **popularity** — ``log(1 + k(x)) / log(1 + max k)``, which mostly breaks ties.

``score = w_ra2·ra2 + w_comember·comember + w_popularity·popularity`` with separate weights for
group and person candidates. For person candidates these factors count only where the graph
shows triadic closure (:func:`closure_evident`, a binomial test on the graph itself); elsewhere
people are ranked by **degree mixing** (:class:`Mixing`): which classes of degree the observed
ties join (a degree-corrected stochastic block model whose blocks are degree classes), so on a
disassortative graph a hub is offered small families and a small family a hub, and on a neutral
one it is popularity. For someone with no ties at all there is nothing to close or share, and
:func:`newcomer_prior` ranks by where people with one tie went (a first group is not a typical
group), popularity breaking ties, whatever the closure test says; the app's social factor
scores only candidates two or three steps away, so it never reaches this case. The weights (and
λ) are **not chosen by hand**: they are the ones ``benchmarks/eval_suggestions.py`` picks by a
grid search over every tie of real networks hidden in turn (Davis, Revere, karate club, Les
Misérables, Florentine families); its table judges each network with weights chosen on the
others.
They live in :data:`WEIGHTS` and nowhere else; the suggestions analysis reads them from here.
The score is a heuristic ranking, not a probability.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Chosen by ``benchmarks/eval_suggestions.py`` (grid search over every tie of the real
#: networks hidden in turn, mean MRR, networks weighing alike); it prints the choice.
#: "group" weights rank groups and organisations for a person, "person" weights rank people.
#: ``lam`` is λ above.
WEIGHTS: dict[str, dict[str, float]] = {
    "group": {"ra2": 0.25, "comember": 1.0, "popularity": 0.25, "lam": 0.5},
    "person": {"ra2": 0.5, "comember": 0.5, "popularity": 0.05, "lam": 0.5},
}

#: How much the three factors of a suggestion weigh, for group and for person candidates
#: (suggestions.py reads this, nowhere else): the social factor is this module's score;
#: ``match`` and ``proximity`` are described there. Chosen by the same harness on the synthetic
#: demo's validation ties (the only network with interests and homes), so they fit the demo's
#: generator rather than Trafford: replace them once real hidden ties can be scored.
BLEND: dict[str, dict[str, float]] = {
    "group": {"match": 0.4, "proximity": 0.2, "social": 0.4},
    "person": {"match": 0.0, "proximity": 0.6667, "social": 0.3333},
}

FACTORS: tuple[str, ...] = ("ra2", "comember", "popularity")

Neighbours = Callable[[Hashable], Iterable[Hashable]]


@dataclass(slots=True)
class Factors:
    """The raw (unnormalised) factors of every candidate two or three steps from a person."""

    ra2: dict[Hashable, float]
    aa2: dict[Hashable, float]
    common: dict[Hashable, int]
    comember: dict[Hashable, float]
    #: candidate -> the neighbour of ``p`` (a group or friend) that leads there most strongly by
    #: co-membership, for the reasons a coordinator reads
    via: dict[Hashable, Hashable]


def _degree_of(neighbours: Neighbours) -> Callable[[Hashable], int]:
    cache: dict[Hashable, int] = {}

    def k(n: Hashable) -> int:
        d = cache.get(n)
        if d is None:
            d = cache[n] = sum(1 for _ in neighbours(n))
        return d
    return k


def factors(neighbours: Neighbours, p: Hashable, lam: float = 0.5,
            degree: Callable[[Hashable], int] | None = None) -> Factors:
    """Raw factors for every node two or three steps from ``p`` (``neighbours(n)`` gives a
    node's neighbours on the undirected person–group graph)."""
    k = degree or _degree_of(neighbours)
    mine = set(neighbours(p))
    ra2: dict[Hashable, float] = {}
    aa2: dict[Hashable, float] = {}
    common: dict[Hashable, int] = {}
    comember: dict[Hashable, float] = {}
    best: dict[Hashable, tuple[float, Hashable]] = {}
    step2: dict[Hashable, float] = {}  # z2 -> Σ over z1 of 1/k(z1)^λ
    first: dict[Hashable, tuple[float, Hashable]] = {}  # z2 -> its strongest z1
    for z1 in mine:
        kz1 = k(z1)
        if kz1 == 0:
            continue
        w1 = 1.0 / kz1 ** lam
        for x in neighbours(z1):
            if x == p:
                continue
            ra2[x] = ra2.get(x, 0.0) + 1.0 / kz1
            aa2[x] = aa2.get(x, 0.0) + (1.0 / math.log(kz1) if kz1 > 1 else 0.0)
            common[x] = common.get(x, 0) + 1
            step2[x] = step2.get(x, 0.0) + w1
            if w1 > first.get(x, (0.0, None))[0]:
                first[x] = (w1, z1)
    for z2, w in step2.items():
        kz2 = k(z2)
        for x in neighbours(z2):
            if x == p:
                continue
            contrib = w / kz2
            comember[x] = comember.get(x, 0.0) + contrib
            if contrib > best.get(x, (0.0, None))[0]:
                best[x] = (contrib, first[z2][1])
    for x in list(comember):
        comember[x] /= max(k(x), 1) ** (1.0 - lam)
    return Factors(ra2, aa2, common, comember, {x: z for x, (_c, z) in best.items()})


def _norm(values: Mapping[Hashable, float], keys: Iterable[Hashable]) -> dict[Hashable, float]:
    keys = list(keys)
    top = max((values.get(x, 0.0) for x in keys), default=0.0)
    if top <= 0:
        return {x: 0.0 for x in keys}
    return {x: values.get(x, 0.0) / top for x in keys}


def combine(f: Factors, candidates: Iterable[Hashable], degree: Callable[[Hashable], int],
            weights: Mapping[str, float]) -> dict[Hashable, float]:
    """The weighted score of each candidate from raw factors (each factor scaled to 0..1 over
    these candidates, then weighted; the result is scaled to 0..1 by the weights' sum)."""
    cands = list(candidates)
    ra2 = _norm(f.ra2, cands)
    com = _norm(f.comember, cands)
    top = max((degree(x) for x in cands), default=0)
    denom = math.log1p(top) if top > 0 else 1.0
    total = sum(weights.get(name, 0.0) for name in FACTORS) or 1.0
    w_ra2 = weights.get("ra2", 0.0)
    out = {}
    for x in cands:
        pop = math.log1p(degree(x)) / denom
        out[x] = (w_ra2 * ra2[x] + weights.get("comember", 0.0) * com[x]
                  + weights.get("popularity", 0.0) * pop) / total
    return out


def newcomer_prior(neighbours: Neighbours, candidates: Iterable[Hashable],
                   degree: Callable[[Hashable], int] | None = None) -> dict[Hashable, float]:
    """The score (0..1) for someone with no ties at all: how many people whose *only* tie is
    ``x`` there are (where people with one tie went: a first group is not a typical group, and
    a person with none is about to have one), then ``x``'s popularity to break ties (it adds
    less than one). With no ties there is no closure or co-membership to read, so this degree
    prior, conditioned on having one tie, is all the graph says."""
    k = degree or _degree_of(neighbours)
    cands = list(candidates)
    top = max((k(x) for x in cands), default=0)
    raw = {x: sum(1 for z in neighbours(x) if k(z) == 1) + k(x) / (1.0 + top) for x in cands}
    return _norm(raw, cands)


def scores(neighbours: Neighbours, p: Hashable, candidates: Iterable[Hashable],
           weights: Mapping[str, float], degree: Callable[[Hashable], int] | None = None,
           closure: bool = True, mixing: Mixing | None = None) -> dict[Hashable, float]:
    """Score (0..1) of each candidate for ``p`` with one set of weights (see module doc).
    ``p`` with no ties: :func:`newcomer_prior` (closure or not: a newcomer closes nothing).
    ``closure=False`` (:func:`closure_evident` found no closure in this graph): the weighted
    factors do not count; people are ranked by ``mixing`` (:meth:`Mixing.scores`, estimated
    on the same graph), or all alike (random) when no mixing is given."""
    cands = list(candidates)
    k = degree or _degree_of(neighbours)
    if not any(True for _ in neighbours(p)):
        return newcomer_prior(neighbours, cands, k)
    if not closure:
        return unclosed_scores(mixing, k(p), cands, k)
    f = factors(neighbours, p, float(weights.get("lam", 0.5)), k)
    return combine(f, cands, k, weights)


def unclosed_scores(mixing: Mixing | None, kp: int, candidates: list[Hashable],
                    degree: Callable[[Hashable], int]) -> dict[Hashable, float]:
    """People's scores for a person of degree ``kp`` where ties do not close triangles: by
    ``mixing`` (:meth:`Mixing.scores`), or all alike (random) when it is not known."""
    if mixing is None:
        return dict.fromkeys(candidates, 0.0)
    return mixing.scores(kp, candidates, degree)


def degree_class(k: int) -> int:
    """The class of a degree in :class:`Mixing`: 0 for none, else ⌊log2 k⌋ + 1 (1; 2–3; 4–7;
    …). Logarithmic bins, the usual way to pool a skewed degree distribution, so each class
    holds enough ties to estimate on 15 people as on 100,000 (one class per degree would leave
    most of them one person wide)."""
    return int(k).bit_length()


@dataclass(frozen=True, slots=True)
class Mixing:
    """Which degree classes people's ties join on the observed graph, for ranking people where
    ties do not close triangles: ``ends[(a, b)]`` counts tie ends from a person of class ``a``
    to one of class ``b`` (both ways), ``total[b]`` the degrees summed over people of class
    ``b`` (:func:`degree_class`; both read from the closure test's sample, so on a large graph
    they are proportional to the whole graph's, which a ranking does not mind).

    The model is the degree-corrected stochastic block model (Karrer & Newman 2011) with degree
    classes for blocks: expected ties between ``p`` and ``x`` ∝ ``θ_x · ω(a, b)``, with
    ``θ_x = k(x) / total[b]`` and ``ω(a, b) ∝ ends[(a, b)]``. A missing tie's ends will have one
    tie more than they show, and the ties the model was read from count themselves in their
    ends' degrees, so ``a`` and ``b`` are the classes of ``k(p) + 1`` and ``k(x) + 1``
    (:meth:`once_tied`). Where classes mix as chance would (a neutral graph) ``ω`` is flat and
    this is popularity; where big families marry small ones (Padgett's Florentine marriages,
    assortativity −0.37) it offers a hub the small and the small a hub. No parameter: the
    classes are fixed bins, and everything else is counted on the graph at hand, never on
    hidden ties. Chosen among the rules ``benchmarks/eval_no_closure_rules.py`` lists, by mean
    MRR on karate club and Les Misérables with the rule forced (never on Florentine's ties)."""

    ends: Mapping[tuple[int, int], int]
    total: Mapping[int, int]

    def once_tied(self, k: int) -> int:
        """The class of a person of degree ``k`` once tied: that of ``k + 1``, or of ``k`` where
        nobody is in that class yet (the best-tied person of a graph, whose next tie would take
        them where the graph shows nobody)."""
        c = degree_class(k + 1)
        return c if self.total.get(c) else degree_class(k)

    def raw(self, kp: int, kx: int) -> float:
        """Expected ties (up to a factor fixed by ``p``) between a person of degree ``kp`` and
        one of degree ``kx``, once tied."""
        a, b = self.once_tied(kp), self.once_tied(kx)
        size = self.total.get(b, 0)
        return kx * self.ends.get((a, b), 0) / size if size else 0.0

    def scores(self, kp: int, candidates: Iterable[Hashable], degree: Callable[[Hashable], int]
               ) -> dict[Hashable, float]:
        """Each candidate's :meth:`raw` for a person of degree ``kp``, scaled to 0..1 over the
        candidates (all 0 where the classes seen say nothing: every candidate alike)."""
        cands = list(candidates)
        return _norm({x: self.raw(kp, degree(x)) for x in cands}, cands)


#: The closure test's level (one-sided binomial test, :func:`closure_evident`): a conventional
#: 5 %, not tuned.
CLOSURE_ALPHA = 0.05
#: The closure test looks at the ties of at most this many people, at most this many of those
#: ties, and at most this many untied pairs (a fixed sample beyond that, so a large store costs
#: about what a small one does: about 0.05 CPU-s once per graph).
CLOSURE_SAMPLE = (120, 150, 300)


def closure_evident(neighbours: Neighbours, nodes: Sequence[Hashable],
                    alpha: float = CLOSURE_ALPHA,
                    sample: tuple[int, int, int] = CLOSURE_SAMPLE) -> bool:
    """Whether sharing a neighbour makes a tie between two of ``nodes`` likelier on this graph,
    the premise of the common-neighbour factors: are tied pairs more often than untied pairs
    joined through a third node? One-sided binomial test at ``alpha``: of the ``m`` ties, ``t``
    have ends that share a neighbour; under "no closure" ``t ~ Binomial(m, p0)``, ``p0`` the
    share of untied pairs that share one. Where it fails (Padgett's Florentine marriages:
    8 of 20 ties against 41 % of untied pairs) the person score ranks by :class:`Mixing`
    instead. Where the graph is too small for the test to say anything (no ties between them;
    or so few that even all of them closed would not be significant) the prior stands: people's
    ties close triangles, as friendship networks' do. Beyond ``sample`` (people whose ties are
    looked at, ties, untied pairs) a seeded sample: the same graph gives the same answer."""
    return person_sample(neighbours, nodes, alpha, sample)[0]


def person_sample(neighbours: Neighbours, nodes: Sequence[Hashable],
                  alpha: float = CLOSURE_ALPHA,
                  sample: tuple[int, int, int] = CLOSURE_SAMPLE) -> tuple[bool, Mixing]:
    """(:func:`closure_evident`, the :class:`Mixing` of the ties between ``nodes``) from one
    seeded sample of ``nodes``, their ties and untied pairs: the neighbours read for the test
    give the mixing for free."""
    import random

    nodes = list(nodes)
    inside = set(nodes)
    n = len(nodes)
    rng = random.Random(0)
    ends = nodes if n <= sample[0] else rng.sample(nodes, sample[0])
    nb: dict[Hashable, set[Hashable]] = {}

    def of(x: Hashable) -> set[Hashable]:
        got = nb.get(x)
        if got is None:
            got = nb[x] = set(neighbours(x))
        return got
    ties = sorted({(u, v) if repr(u) < repr(v) else (v, u) for u in ends for v in of(u)
                   if v in inside and v != u}, key=repr)
    if len(ties) > sample[1]:
        ties = rng.sample(ties, sample[1])
    total: dict[int, int] = {}
    for u in ends:
        c = degree_class(len(of(u)))
        total[c] = total.get(c, 0) + len(of(u))
    mixed: dict[tuple[int, int], int] = {}
    for u, v in ties:
        a, b = degree_class(len(of(u))), degree_class(len(of(v)))
        mixed[a, b] = mixed.get((a, b), 0) + 1
        mixed[b, a] = mixed.get((b, a), 0) + 1
    mixing = Mixing(mixed, total)
    if not ties:
        return True, mixing  # nothing to test: the prior stands
    if n * (n - 1) // 2 <= sample[2]:
        pairs = [(nodes[i], nodes[j]) for i in range(n) for j in range(i + 1, n)]
    else:
        pairs = [(nodes[i], nodes[j]) for i, j in
                 (rng.sample(range(n), 2) for _ in range(sample[2]))]
    untied = [(u, w) for u, w in pairs if w not in of(u)]
    if not untied:
        return True, mixing
    p0 = sum(1 for u, w in untied if (of(u) & of(w)) - {u, w}) / len(untied)
    m = len(ties)
    t = sum(1 for u, v in ties if (of(u) & of(v)) - {u, v})
    if p0 <= 0.0:
        return t > 0, mixing
    if p0 ** m >= alpha:  # too few ties: even all of them closed would not show it
        return True, mixing
    return _binomial_tail(t, m, p0) < alpha, mixing


def _binomial_tail(t: int, m: int, p: float) -> float:
    """P(X ≥ t) for X ~ Binomial(m, p), 0 < p < 1 (in logs: no overflow for large ``m``)."""
    lp, lq, lm = math.log(p), math.log1p(-p), math.lgamma(m + 1)
    return min(1.0, sum(math.exp(lm - math.lgamma(i + 1) - math.lgamma(m - i + 1) + i * lp
                                 + (m - i) * lq) for i in range(t, m + 1)))


# --- Baselines (the harness compares the score against these) -------------------------------

def adamic_adar(neighbours: Neighbours, p: Hashable, candidates: Iterable[Hashable]
                ) -> dict[Hashable, float]:
    """Adamic–Adar: Σ 1/log k(z) over common neighbours; for a group candidate, over the people
    in ``p``'s circle (friends, co-members) who go there (one-mode projection)."""
    return _projected(neighbours, p, candidates, lambda kz: 1.0 / math.log(kz) if kz > 1 else 0)


def resource_allocation(neighbours: Neighbours, p: Hashable, candidates: Iterable[Hashable]
                        ) -> dict[Hashable, float]:
    """Resource allocation: Σ 1/k(z) over common neighbours (projected like Adamic–Adar)."""
    return _projected(neighbours, p, candidates, lambda kz: 1.0 / kz if kz else 0.0)


def _projected(neighbours: Neighbours, p: Hashable, candidates: Iterable[Hashable],
               weight: Callable[[int], float]) -> dict[Hashable, float]:
    """Σ weight(k(z)) over z that are neighbours of both ``p`` and the candidate; when ``p`` and
    the candidate can share no neighbour (a person and a group), ``p``'s neighbours are taken
    in the person projection (everyone ``p`` shares a group or a tie with)."""
    k = _degree_of(neighbours)
    mine = set(neighbours(p))
    projected = set(mine)
    for z in mine:
        projected.update(neighbours(z))
    projected.discard(p)
    out: dict[Hashable, float] = {}
    for x in candidates:
        theirs = set(neighbours(x))
        zs = mine & theirs
        if not zs and x not in mine:
            zs = {z for z in projected & theirs if z not in mine}
        out[x] = sum(weight(k(z)) for z in zs)
    return out


def adjacency(edges: Iterable[tuple[Hashable, Hashable]]) -> dict[Hashable, set[Hashable]]:
    """Undirected adjacency (node -> set of neighbours) from an edge list; loops dropped."""
    adj: dict[Hashable, set[Hashable]] = {}
    for u, v in edges:
        if u == v:
            continue
        adj.setdefault(u, set()).add(v)
        adj.setdefault(v, set()).add(u)
    return adj


# --- On the store's graph ---------------------------------------------------------------------

def graph_neighbours(G: Any) -> Neighbours:
    """``neighbours(n)`` on the person–group graph of a ``store.to_networkx()`` graph: a
    person's community ties to people and memberships of open groups (as
    :func:`assetmap.graph.analysis.circles.circle` counts them); an open group's members."""
    from assetmap import vocab
    from assetmap.graph.analysis import circles as _c

    nodes = G._node
    cache: dict[Hashable, frozenset[Hashable]] = {}

    def neighbours(n: Hashable) -> frozenset[Hashable]:
        found = cache.get(n)
        if found is not None:
            return found
        attrs = nodes.get(n, {})
        kind = attrs.get("kind")
        if kind == vocab.PERSON:
            c = _c.circle(G, str(n))  # node ids are text
            found = frozenset(c.people | c.groups)
        elif kind in vocab.ASSET_KINDS and _c.is_open(attrs):
            # its current members, whichever way the tie was recorded (as a person's circle
            # counts them: an ended membership is history)
            today = _c.today_iso()
            found = frozenset(o for adj in (G._pred[n], G._succ[n]) for o, keyed in adj.items()
                              if nodes[o].get("kind") == vocab.PERSON
                              and any(a.get("kind", k) in _c.MEMBERSHIP_TIES
                                      and not _c.tie_ended(a, today)
                                      for k, a in keyed.items()))
        else:
            found = frozenset()
        cache[n] = found
        return found
    return neighbours


_CLOSURE: weakref.WeakKeyDictionary[Any, tuple[int, bool, Mixing]] = (
    weakref.WeakKeyDictionary())

#: The key under which a part of a graph (a person's neighbourhood, read from a server store)
#: carries the whole graph's closure verdict, so its suggestions equal the whole graph's.
CLOSURE_KEY = "person_closure"
#: The key under which such a part carries the whole graph's :class:`Mixing` (from
#: :func:`person_mixing`); a part that says a closure verdict but no mixing ranks people alike
#: where closure fails, as it cannot see the whole graph's degree classes.
MIXING_KEY = "person_mixing"


def _person_verdict(G: Any, neighbours: Neighbours | None) -> tuple[bool, Mixing]:
    """The closure verdict and the mixing of a whole graph's people, worked out once per graph
    object (while its node count holds) from one sample (:func:`person_sample`)."""
    from assetmap import vocab

    got = _CLOSURE.get(G)
    if got is not None and got[0] == len(G._node):
        return got[1], got[2]
    people = [n for n, a in G._node.items() if a.get("kind") == vocab.PERSON]
    found, mixing = person_sample(neighbours or graph_neighbours(G), people)
    _CLOSURE[G] = (len(G._node), found, mixing)
    return found, mixing


def person_closure(G: Any, neighbours: Neighbours | None = None) -> bool:
    """:func:`closure_evident` for the people of a ``store.to_networkx()`` graph, on the
    person–group graph the factors use (kept per graph object while its node count holds). A
    graph that is only part of a store says the whole store's verdict in ``G.graph``
    (:data:`CLOSURE_KEY`; a person's neighbourhood does)."""
    told = G.graph.get(CLOSURE_KEY)
    if told is not None:
        return bool(told)
    return _person_verdict(G, neighbours)[0]


def person_mixing(G: Any, neighbours: Neighbours | None = None) -> Mixing | None:
    """The :class:`Mixing` of the people of a ``store.to_networkx()`` graph, worked out with
    (and kept like) :func:`person_closure`'s verdict at no extra reads. A part of a store
    (:data:`CLOSURE_KEY` set) has only what it carries under :data:`MIXING_KEY` (None: people
    rank alike where closure fails)."""
    if G.graph.get(CLOSURE_KEY) is not None:
        told = G.graph.get(MIXING_KEY)
        return told if isinstance(told, Mixing) else None
    return _person_verdict(G, neighbours)[1]


def carry_closure(before: Any, after: Any) -> None:
    """Let ``after``, a copy of ``before`` patched with a few writes (the app's live graph,
    :func:`assetmap.graph.analysis.snapshot.patched_graph`), keep ``before``'s closure verdict
    and degree mixing while it has as many nodes: the test looks at a fixed sample of a whole
    area, which one save does not move, and working it out again took a third of a save's time
    at 100,000 people. A write that adds or removes a record has it worked out afresh."""
    got = _CLOSURE.get(before)
    if got is not None:
        _CLOSURE[after] = got


def social(G: Any, person_id: Hashable
           ) -> tuple[dict[Hashable, float], dict[Hashable, int], dict[Hashable, Hashable]]:
    """The social factor of suggestions for one person on a ``store.to_networkx()`` graph:
    (candidate -> score 0..1 with :data:`WEIGHTS` for its kind, candidate -> common neighbours,
    candidate -> the group or person that most links them by co-membership). Only candidates two
    or three steps away are scored (anyone else has no social link). People are scored by the
    weighted factors where the graph shows closure, else by :class:`Mixing` (both worked out
    once per graph)."""
    from assetmap import vocab

    nb = graph_neighbours(G)
    k = _degree_of(nb)
    out: dict[Hashable, float] = {}
    common: dict[Hashable, int] = {}
    via: dict[Hashable, Hashable] = {}
    mine = nb(person_id)
    lams = {w.get("lam", 0.5) for w in WEIGHTS.values()}
    by_lam = {lam: factors(nb, person_id, lam, k) for lam in lams}
    for kind, w in WEIGHTS.items():
        f = by_lam[w.get("lam", 0.5)]
        want = (lambda a: a.get("kind") == vocab.PERSON) if kind == "person" else (
            lambda a: a.get("kind") in vocab.ASSET_KINDS)
        cands = [x for x in set(f.ra2) | set(f.comember)
                 if x != person_id and x not in mine and want(G._node.get(x, {}))]
        # people: the weighted factors only where ties close triangles here; elsewhere the
        # degree classes the graph's ties join (or all alike where those are not known)
        closed = kind != "person" or not cands or person_closure(G, nb)
        if closed:
            out.update(combine(f, cands, k, w))
        else:
            out.update(unclosed_scores(person_mixing(G, nb), k(person_id), cands, k))
        for x in cands:
            if f.common.get(x):
                common[x] = f.common[x]
            if x in f.via:
                via[x] = f.via[x]
    return out, common, via
