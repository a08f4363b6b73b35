/**
 * The sandbox playing Slack's side towards the app under test: where to deliver (a request URL for
 * HTTP mode, Socket Mode connections), and the actor API that makes users act and the workspace
 * change. Every method delivers over the active mode: an open Socket Mode connection if there is
 * one, else the request URL; `via` forces one.
 */
import { clickButton, closeView, slashCommand, submitView, type ActorContext, type ButtonResult, type ButtonTarget, type SlashCommandResult, type SubmitResult } from './actor-interactions.ts';
import { editUserMessage, openAppHome, postUserMessage, verifyRequestUrl, type MessageResult, type NewUserMessage, type VerificationResult } from './actor-events.ts';
import { Deliverer, type DeliveryOptions, type DeliverySettings } from './deliver.ts';
import type { ViewValues } from './payloads.ts';
import type { DeliveryRecord, SocketConnectionRecord } from './records.ts';
import type { DisconnectReason, SocketLink } from './socket.ts';
import type { SandboxState } from './state.ts';

export interface SlackAppSide {
  /** HTTP mode: where Slack POSTs slash commands, interactions and events (Bolt's /slack/events); null: none. */
  setRequestUrl(url: string | null): void;
  readonly requestUrl: string | null;
  slashCommand(input: { userId: string; channelId: string; text?: string; command?: string } & DeliveryOptions): Promise<SlashCommandResult>;
  clickButton(input: ButtonTarget & { userId: string; actionId: string; value?: string; blockId?: string } & DeliveryOptions): Promise<ButtonResult>;
  submitView(input: { userId: string; viewId: string; values?: ViewValues } & DeliveryOptions): Promise<SubmitResult>;
  closeView(input: { userId: string; viewId: string } & DeliveryOptions): Promise<DeliveryRecord | null>;
  postUserMessage(input: NewUserMessage & DeliveryOptions): Promise<MessageResult>;
  editUserMessage(input: { channelId: string; userId: string; ts: string; text: string } & DeliveryOptions): Promise<MessageResult>;
  openAppHome(userId: string, options?: DeliveryOptions): Promise<DeliveryRecord | null>;
  verifyRequestUrl(options?: Pick<DeliveryOptions, 'signature'>): Promise<VerificationResult>;
  /** Sends {"type":"disconnect","reason"} to the open Socket Mode connections; returns how many. */
  disconnectSocket(reason?: DisconnectReason): number;
  /** Resolves when the next Socket Mode connection has been greeted with hello. */
  waitForSocketConnection(): Promise<SocketConnectionRecord>;
  /** Socket Mode connections that take deliveries now. */
  readonly socketConnections: number;
}

export function createAppSide(state: SandboxState, link: SocketLink, settings: DeliverySettings, baseUrl: () => string): { side: SlackAppSide; close(): void } {
  const deliverer = new Deliverer(state.store, link, settings);
  const ctx: ActorContext = { state, deliverer, baseUrl };
  const side: SlackAppSide = {
    setRequestUrl(url) {
      deliverer.requestUrl = url;
    },
    get requestUrl() {
      return deliverer.requestUrl;
    },
    slashCommand: (input) => slashCommand(ctx, input),
    clickButton: (input) => clickButton(ctx, input),
    submitView: (input) => submitView(ctx, input),
    closeView: (input) => closeView(ctx, input),
    postUserMessage: (input) => postUserMessage(ctx, input),
    editUserMessage: (input) => editUserMessage(ctx, input),
    openAppHome: (userId, options) => openAppHome(ctx, userId, options),
    verifyRequestUrl: (options) => verifyRequestUrl(ctx, options),
    disconnectSocket: (reason = 'refresh_requested') => link.disconnect(reason),
    waitForSocketConnection: () => link.waitForConnection(),
    get socketConnections() {
      return link.active;
    },
  };
  return {
    side,
    close() {
      deliverer.close();
      link.close();
    },
  };
}
