/**
 * What an app's answer to a view_submission does to the modal
 * (https://docs.slack.dev/surfaces/modals#interactions): an empty ack closes the submitted view;
 * response_action "errors" keeps it open with messages by block_id; "update" replaces it (same id,
 * new hash); "push" opens a new view on top of it; "clear" closes the whole stack. Anything else is
 * an app bug: Slack shows the user an error and keeps the view ("invalid" here).
 */
import { newHash } from './methods-views.ts';
import type { SandboxState } from './state.ts';
import type { StoredView } from './store.ts';

export type ViewOutcome = 'closed' | 'errors' | 'update' | 'push' | 'clear' | 'invalid';

export interface ViewAnswer {
  outcome: ViewOutcome;
  errors: Record<string, string> | null;
  /** The view now on top: the updated or pushed one, the submitted one on errors, null once closed. */
  view: StoredView | null;
}

function modalOf(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const view = value as Record<string, unknown>;
  return view.type === 'modal' && Array.isArray(view.blocks) ? view : null;
}

function errorsOf(value: unknown): Record<string, string> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  return entries.length > 0 && entries.every(([, message]) => typeof message === 'string') ? Object.fromEntries(entries) : null;
}

function log(state: SandboxState, view: StoredView): void {
  state.store.viewLog.push({ method: 'response_action', viewId: view.id, view: view.view, time: new Date(state.clock()) });
}

export function applyViewAnswer(state: SandboxState, submitted: StoredView, body: unknown): ViewAnswer {
  const { store } = state;
  const answer = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  if (body === null || body === '' || (answer && answer.response_action === undefined)) {
    submitted.open = false;
    return { outcome: 'closed', errors: null, view: null };
  }
  switch (answer?.response_action) {
    case 'errors': {
      const errors = errorsOf(answer?.errors);
      if (!errors) break;
      submitted.errors = errors;
      return { outcome: 'errors', errors, view: submitted };
    }
    case 'update': {
      const view = modalOf(answer?.view);
      if (!view) break;
      Object.assign(submitted, { view, hash: newHash(submitted.id), errors: null });
      log(state, submitted);
      return { outcome: 'update', errors: null, view: submitted };
    }
    case 'push': {
      const view = modalOf(answer?.view);
      if (!view) break;
      const id = store.allocateViewId();
      const pushed: StoredView = { ...submitted, id, view, hash: newHash(id), previousViewId: submitted.id, externalId: typeof view.external_id === 'string' ? view.external_id : null, open: true, errors: null };
      store.views.set(id, pushed);
      log(state, pushed);
      return { outcome: 'push', errors: null, view: pushed };
    }
    case 'clear':
      for (const view of store.views.values()) if (view.rootViewId === submitted.rootViewId) view.open = false;
      return { outcome: 'clear', errors: null, view: null };
  }
  return { outcome: 'invalid', errors: null, view: submitted };
}
