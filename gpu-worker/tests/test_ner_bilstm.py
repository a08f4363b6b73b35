"""The BiLSTM-CRF candidate (tuneloop_worker/ner/bilstm.py): the graph the hub would run gives the
model's emissions, and a few steps on one labelled sentence lower its loss."""

import torch

from tuneloop_worker.ner.bilstm import BiLstmCrf, EmissionGraph, own_columns
from tuneloop_worker.ner.features import LABELS

BUCKETS = 1 << 10


def _rows(tokens: int, columns: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    rows = torch.randint(0, BUCKETS, (1, tokens, columns), generator=g)
    rows[0, :, -1] = BUCKETS  # the "no feature" row
    return rows


def test_emission_graph_matches_the_model():
    torch.manual_seed(0)
    model = BiLstmCrf(BUCKETS, embed_buckets=1 << 8, dim=8, hidden=8).eval()
    with torch.no_grad():
        model.crf.emit.weight.normal_()
        model.crf.emit.weight[BUCKETS].zero_()
        model.out.weight.normal_()
    rows = _rows(6, own_columns() + 4)
    with torch.no_grad():
        expected = model.emissions(rows)
        got = EmissionGraph(model)(rows)
    assert got.shape == (1, 6, len(LABELS))
    assert torch.allclose(got, expected, atol=1e-5)


def test_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = BiLstmCrf(BUCKETS, embed_buckets=1 << 8, dim=8, hidden=8, dropout=0.0)
    rows = _rows(5, own_columns() + 4)
    labels = torch.tensor([[0, 1, 2, 0, 0]])
    mask = torch.ones(1, 5, dtype=torch.bool)
    sparse = [p for n, p in model.named_parameters() if n in ("embed.weight", "crf.emit.weight")]
    dense = [p for n, p in model.named_parameters() if n not in ("embed.weight", "crf.emit.weight")]
    optimisers = [torch.optim.SparseAdam(sparse, lr=0.05), torch.optim.Adam(dense, lr=0.05)]
    losses = []
    for _ in range(15):
        for o in optimisers:
            o.zero_grad()
        loss = model.crf.nll(model.emissions(rows, torch.tensor([5])), labels, mask).sum()
        loss.backward()
        for o in optimisers:
            o.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.5
