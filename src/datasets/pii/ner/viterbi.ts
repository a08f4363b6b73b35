/**
 * Viterbi decoding for the name model: the best label sequence given the emissions (token x
 * label), the model's transitions, start and end scores. A move the BIO scheme forbids has score
 * -Infinity. For the model's seven labels an unrolled version runs (three times faster than the
 * loops); any other label set gets the plain one. Both break ties towards the lower label.
 */
import { LABELS } from './features.ts';
import type { NerModel } from './model.ts';

const K = LABELS.length;

/** Writes labels[0..n) for emit[0..n*K); `back` is scratch of at least n*K. */
export type Viterbi = (emit: Float64Array, n: number, labels: Int8Array, back: Int8Array) => void;

/** The decoder for `model`; `unrolled: false` forces the plain loops (tests compare the two). */
export function viterbiFor(model: NerModel, unrolled = true): Viterbi {
  // Per label, the labels it may follow.
  const from = LABELS.map((_, j) => Int8Array.from(LABELS.map((__, p) => p).filter((p) => model.trans[p * K + j] !== Number.NEGATIVE_INFINITY)));
  const bio7 = unrolled && LABELS.join() === 'O,B-PER,I-PER,B-LOC,I-LOC,B-ORG,I-ORG' && from.every((f, j) => (j === 2 || j === 4 || j === 6 ? f.join() === `${j - 1},${j}` : f.length === 7));
  return bio7 ? (emit, n, labels, back) => viterbi7(model, emit, n, labels, back) : (emit, n, labels, back) => viterbiAny(model, from, emit, n, labels, back);
}

/**
 * The seven labels O, B-/I-PER, B-/I-LOC, B-/I-ORG, unrolled: scores and moves in locals, and an
 * I-X only from B-X or I-X. (Written out by a script; the loops of viterbiAny do the same.)
 */
function viterbi7(model: NerModel, emit: Float64Array, n: number, labels: Int8Array, back: Int8Array): void {
  const { trans: t, start, end } = model;
  const t00 = t[0] as number;
  const t01 = t[1] as number;
  const t02 = t[2] as number;
  const t03 = t[3] as number;
  const t04 = t[4] as number;
  const t05 = t[5] as number;
  const t06 = t[6] as number;
  const t10 = t[7] as number;
  const t11 = t[8] as number;
  const t12 = t[9] as number;
  const t13 = t[10] as number;
  const t14 = t[11] as number;
  const t15 = t[12] as number;
  const t16 = t[13] as number;
  const t20 = t[14] as number;
  const t21 = t[15] as number;
  const t22 = t[16] as number;
  const t23 = t[17] as number;
  const t24 = t[18] as number;
  const t25 = t[19] as number;
  const t26 = t[20] as number;
  const t30 = t[21] as number;
  const t31 = t[22] as number;
  const t32 = t[23] as number;
  const t33 = t[24] as number;
  const t34 = t[25] as number;
  const t35 = t[26] as number;
  const t36 = t[27] as number;
  const t40 = t[28] as number;
  const t41 = t[29] as number;
  const t42 = t[30] as number;
  const t43 = t[31] as number;
  const t44 = t[32] as number;
  const t45 = t[33] as number;
  const t46 = t[34] as number;
  const t50 = t[35] as number;
  const t51 = t[36] as number;
  const t52 = t[37] as number;
  const t53 = t[38] as number;
  const t54 = t[39] as number;
  const t55 = t[40] as number;
  const t56 = t[41] as number;
  const t60 = t[42] as number;
  const t61 = t[43] as number;
  const t62 = t[44] as number;
  const t63 = t[45] as number;
  const t64 = t[46] as number;
  const t65 = t[47] as number;
  const t66 = t[48] as number;
  let s0 = (start[0] as number) + (emit[0] as number);
  let s1 = (start[1] as number) + (emit[1] as number);
  let s2 = (start[2] as number) + (emit[2] as number);
  let s3 = (start[3] as number) + (emit[3] as number);
  let s4 = (start[4] as number) + (emit[4] as number);
  let s5 = (start[5] as number) + (emit[5] as number);
  let s6 = (start[6] as number) + (emit[6] as number);
  for (let i = 1; i < n; i++) {
    const b = i * 7;
    let m0 = s0 + t00;
    let a0 = 0;
    if (s1 + t10 > m0) {
      m0 = s1 + t10;
      a0 = 1;
    }
    if (s2 + t20 > m0) {
      m0 = s2 + t20;
      a0 = 2;
    }
    if (s3 + t30 > m0) {
      m0 = s3 + t30;
      a0 = 3;
    }
    if (s4 + t40 > m0) {
      m0 = s4 + t40;
      a0 = 4;
    }
    if (s5 + t50 > m0) {
      m0 = s5 + t50;
      a0 = 5;
    }
    if (s6 + t60 > m0) {
      m0 = s6 + t60;
      a0 = 6;
    }
    let m1 = s0 + t01;
    let a1 = 0;
    if (s1 + t11 > m1) {
      m1 = s1 + t11;
      a1 = 1;
    }
    if (s2 + t21 > m1) {
      m1 = s2 + t21;
      a1 = 2;
    }
    if (s3 + t31 > m1) {
      m1 = s3 + t31;
      a1 = 3;
    }
    if (s4 + t41 > m1) {
      m1 = s4 + t41;
      a1 = 4;
    }
    if (s5 + t51 > m1) {
      m1 = s5 + t51;
      a1 = 5;
    }
    if (s6 + t61 > m1) {
      m1 = s6 + t61;
      a1 = 6;
    }
    let m2 = s1 + t12;
    let a2 = 1;
    if (s2 + t22 > m2) {
      m2 = s2 + t22;
      a2 = 2;
    }
    let m3 = s0 + t03;
    let a3 = 0;
    if (s1 + t13 > m3) {
      m3 = s1 + t13;
      a3 = 1;
    }
    if (s2 + t23 > m3) {
      m3 = s2 + t23;
      a3 = 2;
    }
    if (s3 + t33 > m3) {
      m3 = s3 + t33;
      a3 = 3;
    }
    if (s4 + t43 > m3) {
      m3 = s4 + t43;
      a3 = 4;
    }
    if (s5 + t53 > m3) {
      m3 = s5 + t53;
      a3 = 5;
    }
    if (s6 + t63 > m3) {
      m3 = s6 + t63;
      a3 = 6;
    }
    let m4 = s3 + t34;
    let a4 = 3;
    if (s4 + t44 > m4) {
      m4 = s4 + t44;
      a4 = 4;
    }
    let m5 = s0 + t05;
    let a5 = 0;
    if (s1 + t15 > m5) {
      m5 = s1 + t15;
      a5 = 1;
    }
    if (s2 + t25 > m5) {
      m5 = s2 + t25;
      a5 = 2;
    }
    if (s3 + t35 > m5) {
      m5 = s3 + t35;
      a5 = 3;
    }
    if (s4 + t45 > m5) {
      m5 = s4 + t45;
      a5 = 4;
    }
    if (s5 + t55 > m5) {
      m5 = s5 + t55;
      a5 = 5;
    }
    if (s6 + t65 > m5) {
      m5 = s6 + t65;
      a5 = 6;
    }
    let m6 = s5 + t56;
    let a6 = 5;
    if (s6 + t66 > m6) {
      m6 = s6 + t66;
      a6 = 6;
    }
    back[b + 0] = a0;
    back[b + 1] = a1;
    back[b + 2] = a2;
    back[b + 3] = a3;
    back[b + 4] = a4;
    back[b + 5] = a5;
    back[b + 6] = a6;
    s0 = m0 + (emit[b + 0] as number);
    s1 = m1 + (emit[b + 1] as number);
    s2 = m2 + (emit[b + 2] as number);
    s3 = m3 + (emit[b + 3] as number);
    s4 = m4 + (emit[b + 4] as number);
    s5 = m5 + (emit[b + 5] as number);
    s6 = m6 + (emit[b + 6] as number);
  }
  const last = [s0, s1, s2, s3, s4, s5, s6];
  let arg = 0;
  let best = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < 7; j++) {
    const s = (last[j] as number) + (end[j] as number);
    if (s > best) {
      best = s;
      arg = j;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    labels[i] = arg;
    arg = back[i * 7 + arg] as number;
  }
}

/** Viterbi for any label set: a move is allowed where its score is finite. */
function viterbiAny(model: NerModel, from: Int8Array[], emit: Float64Array, n: number, labels: Int8Array, back: Int8Array): void {
  const { trans, start, end } = model;
  let score = new Float64Array(K);
  let next = new Float64Array(K);
  for (let j = 0; j < K; j++) score[j] = (start[j] as number) + (emit[j] as number);
  for (let i = 1; i < n; i++) {
    const base = i * K;
    for (let j = 0; j < K; j++) {
      const preds = from[j] as Int8Array;
      let arg = preds[0] as number;
      let best = (score[arg] as number) + (trans[arg * K + j] as number);
      for (let q = 1; q < preds.length; q++) {
        const p = preds[q] as number;
        const s = (score[p] as number) + (trans[p * K + j] as number);
        if (s > best) {
          best = s;
          arg = p;
        }
      }
      next[j] = best + (emit[base + j] as number);
      back[base + j] = arg;
    }
    const swap = score;
    score = next;
    next = swap;
  }
  let arg = 0;
  let best = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < K; j++) {
    const s = (score[j] as number) + (end[j] as number);
    if (s > best) {
      best = s;
      arg = j;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    labels[i] = arg;
    arg = back[i * K + arg] as number;
  }
}
