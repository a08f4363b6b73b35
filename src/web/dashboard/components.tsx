/** Small building blocks every page uses: forms with their CSRF token, fields with errors, empty states. */
import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from './guard.ts';

/** A form that changes something: POST with the session's CSRF token. */
export function ActionForm(props: { action: string; csrf: string; children: Child; class?: string; confirm?: string }) {
  return (
    <form method="post" action={props.action} class={props.class ?? 'inline'} data-confirm={props.confirm}>
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      {props.children}
    </form>
  );
}

/** A labelled input with its error beside it (`aria-invalid`, `aria-describedby` for screen readers). */
export function Field(props: { name: string; label: string; value?: string; error?: string | undefined; type?: string; placeholder?: string; required?: boolean; autocomplete?: string; hint?: string }) {
  const id = `field-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        placeholder={props.placeholder}
        required={props.required}
        autocomplete={props.autocomplete}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
      />
      {props.hint && !props.error ? <small class="hint">{props.hint}</small> : null}
      {props.error ? (
        <small class="error" id={`${id}-error`} role="alert">
          {props.error}
        </small>
      ) : null}
    </div>
  );
}

export function SelectField(props: { name: string; label: string; options: readonly string[]; value?: string | undefined; error?: string | undefined; blank?: string }) {
  const id = `field-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} aria-invalid={props.error ? 'true' : undefined}>
        {props.blank !== undefined ? <option value="">{props.blank}</option> : null}
        {props.options.map((option) => (
          <option value={option} selected={option === props.value}>
            {option}
          </option>
        ))}
      </select>
      {props.error ? (
        <small class="error" role="alert">
          {props.error}
        </small>
      ) : null}
    </div>
  );
}

/** What a page shows when it has nothing yet: what to do next. */
export function Empty(props: { children: Child }) {
  return <p class="empty">{props.children}</p>;
}

export function Status(props: { value: string }) {
  return <span class={`status status-${props.value.replace(/[^a-z_]/g, '')}`}>{props.value.replace(/_/g, ' ')}</span>;
}

export function When(props: { at: Date | string | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  const date = typeof props.at === 'string' ? new Date(props.at) : props.at;
  return <time datetime={date.toISOString()}>{date.toISOString().slice(0, 16).replace('T', ' ')}</time>;
}

export function Notice(props: { kind: 'ok' | 'error'; children: Child }) {
  return (
    <p class={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}

export function fmt(value: unknown, digits = 3): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  if (value === null || value === undefined) return '—';
  return String(value);
}

export const shortId = (id: string) => id.slice(0, 8);
