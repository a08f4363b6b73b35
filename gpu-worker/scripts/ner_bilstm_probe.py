"""Probe, not the shipped trainer: trains the BiLSTM-CRF (tuneloop_worker/ner/bilstm.py) on a slice of the
NER TRAIN splits and prints DEV person F1 per epoch.  Usage: ner_bilstm_probe.py LIMIT EPOCHS bilstm|linear BATCH
(encodings cached in /tmp/enc_LIMIT.npz; HIDDEN / DIM env vars size the LSTM)."""
import sys, time, json, os
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tuneloop_worker.ner.train import NerConfig, training_sentences, dev_sets
from tuneloop_worker.ner.features import load_lexicon
from tuneloop_worker.ner.dataset import Encoder, Encoded
from tuneloop_worker.ner.bilstm import BiLstmCrf
from tuneloop_worker.ner.fit_bilstm import fit_bilstm
limit = int(sys.argv[1]); epochs = int(sys.argv[2]); arch = sys.argv[3]; batch = int(sys.argv[4])
torch.set_num_threads(2)
cfg = NerConfig(limit=limit, buckets=1 << 19)
cache = Path(f'/tmp/enc_{limit}.npz')
t0 = time.time()
if cache.exists():
    z = np.load(cache, allow_pickle=True)
    tr = Encoded(z['rows'], z['labels'], z['offsets'])
    dv = {k: Encoded(*v) for k, v in z['dev'].item().items()}
    langs = z['langs'].item()
else:
    data = Path(__file__).resolve().parents[3] / 'shared/datasets'; lex = load_lexicon(Path(__file__).resolve().parents[2] / 'src/datasets/pii/data')
    train = training_sentences(cfg, data, lex, lambda m: None)
    dev = dev_sets(NerConfig(limit=0), data, lex)  # always the full DEV sets
    enc = Encoder(lex, cfg.buckets)
    tr = enc.encode(train, cfg.hide_lists, cfg.seed, cfg.hide_words)
    dv = {c.name: enc.encode(c.sentences) for c in dev}
    langs = {c.name: c.lang for c in dev}
    np.savez(cache, rows=tr.rows, labels=tr.labels, offsets=tr.offsets,
             dev=np.array({k: (v.rows, v.labels, v.offsets) for k, v in dv.items()}, dtype=object), langs=np.array(langs, dtype=object))
print('encoded', len(tr), tr.rows.shape, round(time.time() - t0, 1), flush=True)
model = BiLstmCrf(cfg.buckets, hidden=int(os.environ.get('HIDDEN', '64')), dim=int(os.environ.get('DIM', '32')))
if arch == 'linear':
    model.neural = lambda rows, lengths=None: 0.0
model, best = fit_bilstm(model, tr, dv, langs, epochs=epochs, batch_size=batch, seed=13, lr_dense=3e-3,
                         on_epoch=lambda m, r: torch.save(m.state_dict(), f"/tmp/{arch}_{limit}_ep{r['epoch']}.pt"),
                         log=lambda k, f: print(k, json.dumps(f)[:900], flush=True))
print('best', json.dumps({k: best[k] for k in ('epoch', 'score', 'per_lang')}))
