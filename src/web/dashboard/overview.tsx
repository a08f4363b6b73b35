/** `/`: the loop at a glance; every card links to the page with the details. */
import type { Context } from 'hono';
import type { AppDeps } from '../../deps.ts';
import type { ModelMetrics } from '../../models/evaluation/evaluations.ts';
import { Empty, fmt, shortId, Status, When } from './components.tsx';
import { can, type DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';
import { loadOverview } from './overview-data.ts';

const HEADLINE: Array<keyof ModelMetrics> = ['chrf', 'eval_loss', 'macro_f1', 'accuracy', 'recall'];

export function Headline(props: { metrics: ModelMetrics | null | undefined }) {
  const shown = HEADLINE.filter((key) => typeof props.metrics?.[key] === 'number');
  if (!props.metrics || !shown.length) return <span class="muted">not evaluated yet</span>;
  return (
    <span>
      {shown.map((key) => (
        <span class="figure">
          {key.replace('_', ' ')} <b>{fmt(props.metrics?.[key])}</b>
        </span>
      ))}
    </span>
  );
}

export async function overviewPage(c: Context<DashboardEnv>, deps: AppDeps) {
  const view = await loadOverview(deps.database.db);
  const session = c.get('session');
  return c.html(
    <Layout title="Overview" session={session} path="/">
      <div class="cards">
        <section class="card" aria-labelledby="ov-connections">
          <h2 id="ov-connections">
            <a href="/connections">Connections</a>
          </h2>
          {view.connections.length ? (
            <table>
              <thead>
                <tr>
                  <th>name</th>
                  <th>vendor</th>
                  <th>last harvest</th>
                </tr>
              </thead>
              <tbody>
                {view.connections.map(({ connection, lastHarvest }) => (
                  <tr>
                    <td>
                      <a href={`/connections/${connection.id}`}>{connection.name}</a>
                    </td>
                    <td>{connection.vendor}</td>
                    <td>
                      {lastHarvest ? (
                        <>
                          <Status value={lastHarvest.status} /> <When at={lastHarvest.finishedAt ?? lastHarvest.createdAt} /> · {lastHarvest.conversationsSeen} conversations
                        </>
                      ) : (
                        <span class="muted">never harvested</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>
              No connections yet. <a href="/connections">Add one</a> (a sandbox works too: <code>tuneloop sandbox zendesk</code>).
            </Empty>
          )}
        </section>

        <section class="card" aria-labelledby="ov-dataset">
          <h2 id="ov-dataset">
            <a href="/datasets">Latest dataset version</a>
          </h2>
          {view.latestVersion ? (
            <p>
              <a href={`/datasets/versions/${view.latestVersion.id}`}>
                {view.latestVersion.dataset} v{view.latestVersion.version}
              </a>{' '}
              <Status value={view.latestVersion.status} /> <When at={view.latestVersion.builtAt ?? view.latestVersion.createdAt} />
            </p>
          ) : (
            <Empty>
              No dataset yet. Harvest a connection, then <a href="/datasets">build a dataset</a>.
            </Empty>
          )}
        </section>

        <section class="card" aria-labelledby="ov-runs">
          <h2 id="ov-runs">
            <a href="/runs">Running runs</a>
          </h2>
          {view.activeRuns.length ? (
            <ul>
              {view.activeRuns.map((run) => (
                <li>
                  <a href={`/runs/${run.id}`}>{shortId(run.id)}</a> {run.task} <Status value={run.status} /> step {fmt(run.progress.step)} / {fmt(run.progress.totalSteps)} · loss {fmt(run.progress.loss)}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>
              Nothing is training. <a href="/runs">Start a run</a> from a ready dataset version.
            </Empty>
          )}
        </section>

        <section class="card" aria-labelledby="ov-models">
          <h2 id="ov-models">
            <a href="/models">Production models</a>
          </h2>
          {view.production.length ? (
            <table>
              <tbody>
                {view.production.map(({ task, model, evaluation }) => (
                  <tr>
                    <th scope="row">{task}</th>
                    <td>
                      <a href={`/models/${model.id}`}>{shortId(model.id)}</a> since <When at={model.promotedAt} />
                    </td>
                    <td>
                      <Headline metrics={evaluation?.report?.candidate} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>
              No model serves yet. Train one, evaluate it, then promote it on <a href="/models">Models</a>.
            </Empty>
          )}
        </section>

        {can(c, 'compliance') ? (
        <section class="card" aria-labelledby="ov-alerts">
          <h2 id="ov-alerts">
            <a href="/alerts?status=open">Open alerts</a>
          </h2>
          {view.openAlerts.total ? (
            <p>
              <b class="big">{view.openAlerts.total}</b> open:{' '}
              {Object.entries(view.openAlerts.bySeverity).map(([severity, n]) => (
                <span class={`figure severity-${severity}`}>
                  {severity} {n}
                </span>
              ))}
            </p>
          ) : (
            <Empty>No open alerts. Compliance scans every harvested message against the policies.</Empty>
          )}
        </section>
        ) : null}

        <section class="card" aria-labelledby="ov-drafts">
          <h2 id="ov-drafts">
            <a href="/drafts">Draft acceptance, last 7 days</a>
          </h2>
          {view.drafts.posted ? (
            <p>
              <b class="big">{view.drafts.rate === null ? '—' : `${(view.drafts.rate * 100).toFixed(0)}%`}</b> accepted ({view.drafts.accepted} of {view.drafts.judged} judged; {view.drafts.posted} posted)
            </p>
          ) : (
            <Empty>No drafts posted this week. Drafts start once a reply model is in production.</Empty>
          )}
        </section>
      </div>
    </Layout>,
  );
}
