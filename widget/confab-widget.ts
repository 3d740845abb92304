/**
 * Confab's embeddable widget (PROTOCOL.md section 9), served at `/widget/confab-widget.js`:
 * `mount(element, {url, token | getToken, conversationId?, agentId?})` puts a whole chat inside any
 * page, in a shadow root. It is views over the SDK's conversation handle and holds no protocol logic:
 * the handle keeps the state and does the work. Everything a model or a person wrote goes through
 * `renderMarkdown` (marked, then DOMPurify, as DOM nodes) or `textContent`; no other text becomes HTML.
 */
import { ConfabClient, type ConfabClientOptions, type ConnectionStatus } from "../sdk/confab-client.js";
import { describeError } from "../sdk/errors.js";
import { ConversationView } from "./conversation-view.js";
import { buildSkeleton, type WidgetSkeleton } from "./skeleton.js";
import { WIDGET_CSS } from "./styles.js";

export interface MountOptions {
  url: string;
  token?: string;
  getToken?: () => string | Promise<string>;
  /** The conversation to show; without it, a new one is made with `agentId` (or the first agent). */
  conversationId?: string;
  agentId?: string;
  /** An invite token to accept first: the widget then shows the conversation it opens. */
  invite?: string;
  /** The link an invite token goes into (default: this page's address with `?invite=<token>`). */
  inviteUrl?: (token: string) => string;
}

export interface MountedWidget {
  /** The conversation shown (once known). */
  readonly conversationId: Promise<string>;
  unmount(): void;
}

const STATE_LABEL: Record<ConnectionStatus, string> = {
  online: "online",
  offline: "offline",
  connecting: "reconnecting…",
};

/** This page, without its own query or fragment (nothing of the host's is handed to invitees). */
function defaultInviteUrl(token: string): string {
  const url = new URL(location.origin + location.pathname);
  url.searchParams.set("invite", token);
  return url.href;
}

/** The conversation to show: the one given, the one an invite opens, or a new one with the agent. */
async function conversationToShow(client: ConfabClient, options: MountOptions): Promise<string> {
  if (options.invite) return (await client.acceptInvite(options.invite)).id;
  if (options.conversationId) return options.conversationId;
  const agentId = options.agentId ?? (await client.agents())[0]?.id;
  if (!agentId) throw new Error("no agent to talk to");
  return (await client.createConversation({ agentId })).id;
}

/** Mounts the widget in `element` (its shadow root); `unmount` removes it and closes the connection. */
export function mount(element: HTMLElement, options: MountOptions): MountedWidget {
  const clientOptions: ConfabClientOptions = { url: options.url };
  if (options.token !== undefined) clientOptions.token = options.token;
  if (options.getToken) clientOptions.getToken = options.getToken;
  const client = new ConfabClient(clientOptions);
  const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = WIDGET_CSS;
  const skeleton = buildSkeleton();
  root.replaceChildren(style, skeleton.frame);

  let view: ConversationView | null = null;
  let errorTimer: ReturnType<typeof setTimeout> | undefined;
  const showError = (err: unknown) => {
    skeleton.errorLine.textContent = describeError(err);
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => (skeleton.errorLine.textContent = ""), 8000);
  };
  const offs = [
    client.onStatus((status) => {
      showStatus(skeleton, status);
      view?.render();
    }),
    client.onError(showError),
  ];

  const conversationId = (async () => {
    const id = await conversationToShow(client, options);
    const handle = client.conversation(id);
    view = new ConversationView(skeleton.conversation, handle, {
      markdown: true,
      connected: () => client.connected,
      inviteUrl: options.inviteUrl ?? defaultInviteUrl,
      onError: showError,
    });
    const showTitle = () => (skeleton.title.textContent = handle.conversation?.title ?? "Chat");
    offs.push(
      handle.on("conversation", showTitle),
      handle.on("deleted", () => showError("This conversation was deleted, or you were removed from it.")),
    );
    await handle.ready();
    showTitle();
    return id;
  })();
  conversationId.catch(showError);

  return {
    conversationId,
    unmount() {
      for (const off of offs) off();
      clearTimeout(errorTimer);
      view?.dispose();
      client.close();
      root.replaceChildren();
    },
  };
}

function showStatus(skeleton: WidgetSkeleton, status: ConnectionStatus): void {
  skeleton.state.dataset.state = status;
  skeleton.state.textContent = STATE_LABEL[status];
}
