/**
 * Tickets endpoints tuneloop writes to (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/):
 * - GET /tickets/{id} (Show Ticket)
 * - PUT /tickets/{id} (Update Ticket): a comment ({"comment":{"body"|"html_body","public":false}}
 *   is an internal note), tags (replace), additional_tags / remove_tags, priority, status, custom_fields
 * - POST /tickets (Create Ticket): 201
 * - GET/POST/PUT /tickets/{id}/tags (List / Set / Add Tags,
 *   https://developer.zendesk.com/api-reference/ticketing/ticket-management/tags/)
 * Answers carry the ticket and an audit of what changed, as Zendesk's do.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { htmlToPlain, normalizeTags, parseId, recordInvalid, recordNotFound } from './http.ts';
import { commentJson, isoSeconds, ticketJson } from './json.ts';
import type { StoredComment, StoredTicket } from './store.ts';

const CommentInput = z
  .object({ body: z.string().min(1).optional(), html_body: z.string().min(1).optional(), public: z.boolean().optional(), author_id: z.number().int().optional() })
  .refine((comment) => comment.body !== undefined || comment.html_body !== undefined, 'comment needs body or html_body');

const CustomFieldsInput = z.array(z.object({ id: z.number().int(), value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }));
const Priority = z.enum(['low', 'normal', 'high', 'urgent']);
const Status = z.enum(['new', 'open', 'pending', 'hold', 'solved', 'closed']);

const TicketUpdate = z.object({
  ticket: z.object({
    comment: CommentInput.optional(),
    tags: z.array(z.string()).optional(),
    additional_tags: z.array(z.string()).optional(),
    remove_tags: z.array(z.string()).optional(),
    priority: Priority.nullable().optional(),
    status: Status.optional(),
    subject: z.string().min(1).optional(),
    custom_fields: CustomFieldsInput.optional(),
  }),
});

const TicketCreate = z.object({
  ticket: z.object({
    subject: z.string().min(1),
    comment: CommentInput,
    requester: z.object({ name: z.string().min(1), email: z.string().email() }).optional(),
    requester_id: z.number().int().optional(),
    priority: Priority.optional(),
    status: Status.optional(),
    tags: z.array(z.string()).optional(),
    custom_fields: CustomFieldsInput.optional(),
  }),
});

const TagsInput = z.object({ tags: z.array(z.string()) });

type AuditEvent = Record<string, unknown>;

async function readJson(c: Context<SandboxEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}

export function ticketRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const { store } = state;

  const liveTicket = (raw: string | undefined): StoredTicket | undefined => {
    const id = parseId(raw);
    const ticket = id === null ? undefined : store.tickets.get(id);
    return ticket && ticket.status !== 'deleted' ? ticket : undefined;
  };

  const commentEvent = (comment: StoredComment, origin: string): AuditEvent => {
    const { id, type, author_id, body, html_body, plain_body, public: isPublic, attachments } = commentJson(comment, origin);
    return { id, type, author_id, body, html_body, plain_body, public: isPublic, attachments, audit_id: comment.id + 1_000_000 };
  };

  const answer = (c: Context<SandboxEnv>, ticket: StoredTicket, events: AuditEvent[], status: 200 | 201) =>
    c.json(
      {
        ticket: ticketJson(ticket, c.get('origin')),
        audit: { id: ticket.version + 9_000_000, ticket_id: ticket.id, created_at: isoSeconds(ticket.updatedAt), author_id: c.get('user').id, metadata: {}, via: { channel: 'api', source: { from: {}, to: {}, rel: null } }, events },
      },
      status,
    );

  app.get('/tickets/:id', (c) => {
    const ticket = liveTicket(c.req.param('id'));
    return ticket ? c.json({ ticket: ticketJson(ticket, c.get('origin'), c.get('missingFields')) }) : recordNotFound(c);
  });

  app.put('/tickets/:id', async (c) => {
    const ticket = liveTicket(c.req.param('id'));
    if (!ticket) return recordNotFound(c);
    const parsed = TicketUpdate.safeParse(await readJson(c));
    if (!parsed.success) return recordInvalid(c, issues(parsed.error));
    const input = parsed.data.ticket;
    const events: AuditEvent[] = [];
    const change = (field: string, previous: unknown, value: unknown) => events.push({ id: store.allocateCommentId(), type: 'Change', field_name: field, value, previous_value: previous });

    if (input.tags || input.additional_tags || input.remove_tags) {
      const previous = [...ticket.tags];
      let tags = input.tags ? normalizeTags(input.tags) : [...ticket.tags];
      tags = normalizeTags([...tags, ...(input.additional_tags ?? [])]);
      const removed = new Set(normalizeTags(input.remove_tags ?? []));
      ticket.tags = tags.filter((tag) => !removed.has(tag));
      if (ticket.tags.join(' ') !== previous.join(' ')) change('tags', previous.join(' '), ticket.tags.join(' '));
    }
    if (input.priority !== undefined && input.priority !== ticket.priority) {
      change('priority', ticket.priority, input.priority);
      ticket.priority = input.priority;
    }
    if (input.status !== undefined && input.status !== ticket.status) {
      change('status', ticket.status, input.status);
      ticket.status = input.status;
    }
    if (input.subject !== undefined && input.subject !== ticket.subject) {
      change('subject', ticket.subject, input.subject);
      ticket.subject = input.subject;
    }
    for (const field of input.custom_fields ?? []) {
      const value = field.value === null ? null : String(field.value);
      const existing = ticket.customFields.find((f) => f.id === field.id);
      if (existing?.value === value) continue;
      change(String(field.id), existing?.value ?? null, value);
      if (existing) existing.value = value;
      else ticket.customFields.push({ id: field.id, value });
    }
    if (input.comment) {
      const comment = store.addComment(ticket, {
        authorId: input.comment.author_id ?? c.get('user').id,
        body: input.comment.body ?? htmlToPlain(input.comment.html_body ?? ''),
        html: input.comment.html_body ?? null,
        public: input.comment.public ?? true,
      });
      events.unshift(commentEvent(comment, c.get('origin')));
    } else if (events.length > 0) {
      store.markChanged(ticket);
    }
    return answer(c, ticket, events, 200);
  });

  app.post('/tickets', async (c) => {
    const parsed = TicketCreate.safeParse(await readJson(c));
    if (!parsed.success) return recordInvalid(c, issues(parsed.error));
    const input = parsed.data.ticket;
    if (input.requester_id !== undefined && !store.users.has(input.requester_id)) return recordInvalid(c, 'Requester: is invalid');
    const ticket = store.addTicket({
      subject: input.subject,
      body: input.comment.body ?? htmlToPlain(input.comment.html_body ?? ''),
      html: input.comment.html_body ?? null,
      public: input.comment.public ?? true,
      ...(input.requester ? { requester: input.requester } : {}),
      ...(input.requester_id !== undefined ? { requesterId: input.requester_id } : {}),
      ...(input.comment.author_id !== undefined ? { authorId: input.comment.author_id } : {}),
      priority: input.priority ?? null,
      status: input.status ?? 'new',
      tags: normalizeTags(input.tags ?? []),
      ...(input.custom_fields ? { customFields: input.custom_fields.map((f) => ({ id: f.id, value: f.value === null ? null : String(f.value) })) } : {}),
    });
    const first = ticket.comments[0];
    const events: AuditEvent[] = first ? [commentEvent(first, c.get('origin'))] : [];
    events.push({ id: store.allocateCommentId(), type: 'Create', field_name: 'subject', value: ticket.subject });
    c.header('Location', `${c.get('origin')}/api/v2/tickets/${ticket.id}.json`);
    return answer(c, ticket, events, 201);
  });

  app.get('/tickets/:id/tags', (c) => {
    const ticket = liveTicket(c.req.param('id'));
    return ticket ? c.json({ tags: ticket.tags }) : recordNotFound(c);
  });

  // POST sets the tags, PUT adds to them (Set Tags / Add Tags).
  for (const method of ['post', 'put'] as const) {
    app[method]('/tickets/:id/tags', async (c) => {
      const ticket = liveTicket(c.req.param('id'));
      if (!ticket) return recordNotFound(c);
      const parsed = TagsInput.safeParse(await readJson(c));
      if (!parsed.success) return recordInvalid(c, issues(parsed.error));
      const tags = method === 'post' ? normalizeTags(parsed.data.tags) : normalizeTags([...ticket.tags, ...parsed.data.tags]);
      if (tags.join(' ') !== ticket.tags.join(' ')) {
        ticket.tags = tags;
        store.markChanged(ticket);
      }
      return c.json({ tags: ticket.tags });
    });
  }

  return app;
}
