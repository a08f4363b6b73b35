/**
 * /drafts: recent drafts with the agent's final reply beside them (acceptance and similarity from
 * feedback), and /drafts/review: the blind side-by-side review queue of model evaluations, usable
 * with the keyboard (a, b, t). The same functions as /api/v1/drafts and /api/v1/reviews.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { nextReviewPair, ReviewError, scoreReviewPair } from '../../models/evaluation/reviews.ts';
import { listDrafts } from '../../serving/feedback/stats.ts';
import { requireRole } from '../auth.ts';
import { ActionForm, Empty, fmt, Notice, shortId, Status, When } from './components.tsx';
import { can, type DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';

const Verdict = z.enum(['a', 'b', 'tie']);

export function draftPages(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();

  app.get('/', requireRole('viewer'), async (c) => {
    const drafts = await listDrafts(db, {}, 50);
    return c.html(
      <Layout title="Drafts & reviews" session={c.get('session')} path="/drafts">
        {can(c, 'compliance') ? (
          <p>
            <a href="/drafts/review">Open the blind review queue →</a>
          </p>
        ) : null}
        <section class="card">
          {drafts.length ? (
            <table>
              <thead>
                <tr>
                  <th>created</th>
                  <th>ticket</th>
                  <th>status</th>
                  <th>model</th>
                  <th>draft</th>
                  <th>agent's final reply</th>
                  <th class="num">similarity</th>
                  <th>accepted</th>
                </tr>
              </thead>
              <tbody>
                {drafts.map((draft) => (
                  <tr>
                    <td>
                      <When at={draft.createdAt} />
                    </td>
                    <td>
                      {draft.source} {draft.sourceId}
                    </td>
                    <td>
                      <Status value={draft.status} />
                      {draft.reason ? <span class="muted"> {draft.reason}</span> : null}
                    </td>
                    <td>{draft.modelId ? <a href={`/models/${draft.modelId}`}>{shortId(draft.modelId)}</a> : '—'}</td>
                    <td class="text">{draft.text ?? ''}</td>
                    <td class="text">{draft.finalReply ?? <span class="muted">not answered yet</span>}</td>
                    <td class="num">{fmt(draft.similarity, 2)}</td>
                    <td>{draft.accepted === null ? '—' : draft.accepted ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No drafts yet. Drafts are written for new tickets once a reply model is in production (see Models).</Empty>
          )}
        </section>
      </Layout>,
    );
  });

  app.get('/review', requireRole('compliance'), async (c) => {
    const session = c.get('session');
    const pair = await nextReviewPair(db, c.get('actor'));
    const notice = c.req.query('notice');
    return c.html(
      <Layout title="Blind review" session={session} path="/drafts" scripts={['/assets/review-keys.js']}>
        {notice ? <Notice kind="error">{notice}</Notice> : null}
        {pair ? (
          <section class="card">
            <h2>Which answer is better?</h2>
            {pair.prompt
              .filter((m) => m.role !== 'system')
              .map((m) => (
                <p>
                  <b>{m.role}:</b> {m.content}
                </p>
              ))}
            <div class="side-by-side">
              <div aria-label="answer A">
                <h3>A</h3>
                {pair.a}
              </div>
              <div aria-label="answer B">
                <h3>B</h3>
                {pair.b}
              </div>
            </div>
            <ActionForm action={`/drafts/review/${pair.id}`} csrf={session.csrf} class="actions review-form">
              <button type="submit" name="verdict" value="a" data-key="a">
                A is better <kbd>a</kbd>
              </button>
              <button type="submit" name="verdict" value="tie" class="secondary" data-key="t">
                Tie <kbd>t</kbd>
              </button>
              <button type="submit" name="verdict" value="b" data-key="b">
                B is better <kbd>b</kbd>
              </button>
            </ActionForm>
            <p class="muted">Keys: a, t, b. Neither answer is labelled with its model.</p>
          </section>
        ) : (
          <section class="card">
            <Empty>Nothing to review. Review pairs are made from a finished evaluation (`tuneloop models review-pairs`, or POST /api/v1/evaluations/:id/reviews).</Empty>
          </section>
        )}
      </Layout>,
    );
  });

  app.post('/review/:id', requireRole('compliance'), async (c) => {
    const id = z.uuid().safeParse(c.req.param('id'));
    const verdict = Verdict.safeParse((await c.req.parseBody()).verdict);
    if (!id.success || !verdict.success) return c.redirect(`/drafts/review?notice=${encodeURIComponent('choose A, B or tie')}`, 303);
    try {
      await scoreReviewPair(db, id.data, verdict.data, c.get('actor'));
    } catch (error) {
      if (error instanceof ReviewError) return c.redirect(`/drafts/review?notice=${encodeURIComponent(error.message)}`, 303);
      throw error;
    }
    return c.redirect('/drafts/review', 303);
  });

  return app;
}
