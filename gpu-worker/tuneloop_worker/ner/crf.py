"""A linear-chain CRF over hashed features: one weight row (one score per label) per bucket, a
label-to-label transition matrix, and BIO rules that forbid an I-X that does not continue an X.

The emission of a token is the sum of its features' rows (an EmbeddingBag), so the hub can do the
same with one table lookup per feature and no matrix products; decoding is Viterbi.
"""

from __future__ import annotations

import torch
from torch import nn

from .features import LABELS

NEG = -1e4


def allowed_transitions() -> tuple[torch.Tensor, torch.Tensor]:
    """(from, to) and start masks: I-X may only follow B-X or I-X."""
    k = len(LABELS)
    trans = torch.ones(k, k, dtype=torch.bool)
    start = torch.ones(k, dtype=torch.bool)
    for j, to in enumerate(LABELS):
        if to.startswith("I-"):
            start[j] = False
            for i, frm in enumerate(LABELS):
                trans[i, j] = frm[2:] == to[2:] and frm != "O"
    return trans, start


class LinearCrf(nn.Module):
    def __init__(self, buckets: int) -> None:
        super().__init__()
        k = len(LABELS)
        self.buckets = buckets
        # Row `buckets` is the "no feature" padding row: always zero, never trained.
        self.emit = nn.EmbeddingBag(buckets + 1, k, mode="sum", sparse=True, padding_idx=buckets)
        nn.init.zeros_(self.emit.weight)
        self.trans = nn.Parameter(torch.zeros(k, k))
        self.start = nn.Parameter(torch.zeros(k))
        self.end = nn.Parameter(torch.zeros(k))
        allowed, start_ok = allowed_transitions()
        self.register_buffer("trans_mask", torch.where(allowed, 0.0, NEG))
        self.register_buffer("start_mask", torch.where(start_ok, 0.0, NEG))

    def emissions(self, rows: torch.Tensor) -> torch.Tensor:
        return self.emit(rows)

    def transitions(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.trans + self.trans_mask, self.start + self.start_mask

    def nll(self, emissions: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Summed negative log-likelihood of a padded batch: emissions (B, T, K), labels/mask (B, T)."""
        trans, start = self.transitions()
        b, t, _ = emissions.shape
        lengths = mask.sum(1)
        gold = emissions.gather(2, labels.unsqueeze(2)).squeeze(2)
        score = (gold * mask).sum(1) + start[labels[:, 0]]
        pair = trans[labels[:, :-1], labels[:, 1:]]
        score = score + (pair * mask[:, 1:]).sum(1)
        last = labels.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)
        score = score + self.end[last]
        alpha = start.unsqueeze(0) + emissions[:, 0]
        for i in range(1, t):
            step = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), dim=1) + emissions[:, i]
            alpha = torch.where(mask[:, i].unsqueeze(1), step, alpha)
        log_z = torch.logsumexp(alpha + self.end.unsqueeze(0), dim=1)
        return (log_z - score).sum()

    @torch.no_grad()
    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        trans, start = self.transitions()
        b, t, _ = emissions.shape
        score = start.unsqueeze(0) + emissions[:, 0]
        back = []
        for i in range(1, t):
            cand = score.unsqueeze(2) + trans.unsqueeze(0)
            best, idx = cand.max(1)
            step = best + emissions[:, i]
            keep = mask[:, i].unsqueeze(1)
            score = torch.where(keep, step, score)
            back.append(torch.where(keep, idx, torch.arange(len(LABELS)).unsqueeze(0).expand(b, -1)))
        score = score + self.end.unsqueeze(0)
        lengths = mask.sum(1).tolist()
        best_last = score.argmax(1).tolist()
        out = []
        for n in range(b):
            path = [best_last[n]]
            for i in range(int(lengths[n]) - 2, -1, -1):
                path.append(int(back[i][n, path[-1]]))
            out.append(path[::-1])
        return out
