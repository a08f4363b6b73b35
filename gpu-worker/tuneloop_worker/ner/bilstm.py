"""A BiLSTM-CRF over the CRF's own hashed word features, as a candidate successor of the linear CRF.

Emissions are the linear CRF's (the sum of the hashed feature rows of the token and its
neighbours) plus a neural part: each token's own features (offset 0: word, shape, case class,
word-list flags, prefix, suffixes, length) are embedded (summed rows of a smaller hashed table),
a bidirectional LSTM reads the sentence, and a linear layer gives one score per label. The linear
part keeps what the CRF already knows; the LSTM adds context wider than two words. The tokens and
feature rows are the ones the hub already computes (features.py / dataset.py), so no new tokenizer
or vocabulary has to be mirrored in TypeScript. Plain Embedding + sum (no EmbeddingBag) so the
graph exports to ONNX as Gather + ReduceSum.
"""

from __future__ import annotations

import torch
from torch import nn

from .crf import LinearCrf
from .features import LABELS, OFFSET_KINDS


def own_columns() -> int:
    """How many leading columns of an encoded row are the token's own (offset 0) features."""
    return len(OFFSET_KINDS[0])


class BiLstmCrf(nn.Module):
    def __init__(self, buckets: int, embed_buckets: int = 1 << 17, dim: int = 32, hidden: int = 64,
                 dropout: float = 0.2) -> None:
        super().__init__()
        assert embed_buckets & (embed_buckets - 1) == 0, "embed_buckets must be a power of two"
        self.crf = LinearCrf(buckets)
        self.buckets = buckets
        self.embed_buckets = embed_buckets
        self.own = own_columns()
        # Row `embed_buckets` is the "no feature" row (always zero).
        self.embed = nn.Embedding(embed_buckets + 1, dim, sparse=True, padding_idx=embed_buckets)
        nn.init.normal_(self.embed.weight, std=0.1)
        with torch.no_grad():
            self.embed.weight[embed_buckets].zero_()
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, len(LABELS))
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def linear(self, rows: torch.Tensor) -> torch.Tensor:
        """(B, T, F) bucket ids → (B, T, K) the linear CRF's scores."""
        b, t, f = rows.shape
        return self.crf.emit(rows.reshape(b * t, f)).view(b, t, -1)

    def neural(self, rows: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        own = rows[:, :, :self.own]
        ids = torch.where(own == self.buckets, torch.full_like(own, self.embed_buckets),
                          torch.remainder(own, self.embed_buckets))  # = & (embed_buckets - 1); ONNX has no integer AND
        x = self.drop(self.embed(ids).sum(2))
        if lengths is not None and self.training:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
        else:
            h, _ = self.lstm(x)
        return self.out(self.drop(h))

    def emissions(self, rows: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.linear(rows) + self.neural(rows, lengths)


class EmissionGraph(nn.Module):
    """What the hub runs (exported to ONNX): one sentence's rows (1, T, F) int64 → emissions (1, T, K).
    The transitions stay outside (the hub's Viterbi)."""

    def __init__(self, model: BiLstmCrf) -> None:
        super().__init__()
        self.model = model

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        m = self.model
        lin = m.crf.emit.weight[rows].sum(2)
        return lin + m.neural(rows)
